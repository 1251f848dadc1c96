//! The `hookwell` command's logic, testable apart from argument parsing.

pub mod config;
pub mod console;
pub mod env;
pub mod events;
pub mod json;
pub mod load;
pub mod local;
pub mod send;
pub mod serve;
pub mod sink;
pub mod stack;
pub mod stack_use;
pub mod table;
