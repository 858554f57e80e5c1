//! Small pieces with no knowledge of tokens, profiles or vendors: the
//! clock, durations as written, random values, "did you mean", files and
//! directories. Every other layer may use them; they use nothing above.

pub mod atomic;
pub mod clock;
pub mod duration;
pub mod fs;
pub mod random;
pub mod suggest;
