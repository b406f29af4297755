//! A keep-alive HTTP/1.1 connection that writes pre-encoded requests and reads just enough of
//! each response (status line, headers, `Content-Length` body) to start the next one.
//!
//! Why not reqwest: in the sandbox benchmark the load generator shares the server's two cores,
//! and a full client (URL parsing, header maps, connection pool) spent about as much CPU per
//! request as the sandbox itself. Like `wrk`, this one costs little more than its syscalls, so
//! the figure measures the server. Only for benchmarks against our own servers.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest response head accepted; the sandbox's are a few hundred bytes.
const MAX_HEAD: usize = 16 * 1024;

/// One open connection and the bytes read past the last response.
pub struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    /// Connects to `host:port` (as in an `http://host:port` base URL).
    pub async fn open(authority: &str) -> io::Result<Self> {
        let stream = TcpStream::connect(authority).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Sends one complete request and returns the response's status code once its body has
    /// been read (the connection is then ready for the next request).
    pub async fn round_trip(&mut self, request: &[u8]) -> io::Result<u16> {
        self.stream.write_all(request).await?;
        let (status, head_len, body_len) = loop {
            if let Some(parsed) = parse_head(&self.buffer)? {
                break parsed;
            }
            if self.buffer.len() > MAX_HEAD {
                return Err(invalid("response head too large"));
            }
            self.fill().await?;
        };
        while self.buffer.len() < head_len + body_len {
            self.fill().await?;
        }
        self.buffer.drain(..head_len + body_len);
        Ok(status)
    }

    async fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 8192];
        let read = self.stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(())
    }
}

/// `(status, head length, body length)` once the head is complete.
fn parse_head(buffer: &[u8]) -> io::Result<Option<(u16, usize, usize)>> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(buffer) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(err) => return Err(invalid(&format!("malformed response: {err}"))),
    };
    let status = response.code.unwrap_or(0);
    let body_len = response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| {
            std::str::from_utf8(h.value)
                .ok()?
                .trim()
                .parse::<usize>()
                .ok()
        })
        // Chunked or close-delimited bodies are not needed here; refuse rather than misread.
        .ok_or_else(|| invalid("response without Content-Length"))?;
    Ok(Some((status, head_len, body_len)))
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

/// A `POST` with a form body, encoded once for reuse.
pub fn form_post(authority: &str, path: &str, authorization: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: {authorization}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A `POST` with a JSON body, encoded once for reuse.
pub fn json_post(authority: &str, path: &str, authorization: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: {authorization}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_head_gives_status_and_lengths() {
        let raw = b"HTTP/1.1 201 Created\r\ncontent-length: 5\r\n\r\nhello";
        assert_eq!(parse_head(raw).unwrap(), Some((201, raw.len() - 5, 5)));
    }

    #[test]
    fn a_partial_head_asks_for_more() {
        assert_eq!(parse_head(b"HTTP/1.1 201 Cre").unwrap(), None);
    }

    #[test]
    fn a_body_of_unknown_length_is_refused() {
        let raw = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
        assert!(parse_head(raw).is_err());
    }
}
