//! How identifiers are shown when they should be recognizable but not copyable whole.

/// `AC1234…cdef` → `AC••••…cdef`: the prefix and the last 4 characters, the rest as dots.
pub fn mask_sid(sid: &str) -> String {
    let chars: Vec<char> = sid.chars().collect();
    if chars.len() <= 6 {
        return "•".repeat(chars.len());
    }
    let (prefix, rest) = chars.split_at(2);
    let (hidden, shown) = rest.split_at(rest.len() - 4);
    format!(
        "{}{}{}",
        prefix.iter().collect::<String>(),
        "•".repeat(hidden.len()),
        shown.iter().collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_prefix_and_the_last_four_show() {
        assert_eq!(mask_sid("AC0123456789abcdef"), "AC••••••••••••cdef");
        assert_eq!(mask_sid("ACabc"), "•••••");
    }
}
