//! The `hookwell` command's logic, testable apart from argument parsing.

pub mod env;
pub mod events;
pub mod local;
pub mod send;
pub mod sink;
pub mod stack;
