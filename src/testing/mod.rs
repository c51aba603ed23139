//! What the test suites share (the library's unit tests and `tests/it`); not part of the
//! engine.

pub mod pg;
