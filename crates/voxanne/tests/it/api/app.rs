//! The running service moved to the test kit (`crate::support::app` and `::answer`); this path
//! stays only so branches written against it (the dashboard tests) still compile after a merge.
#![allow(unused_imports)] // nothing in this branch imports from here any more

pub use crate::support::answer::Answer;
pub use crate::support::app::{TestApp, TestOrg, TwilioAccount, random_number};
