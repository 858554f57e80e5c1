//! Small pieces with no knowledge of tokens, profiles or vendors: the
//! clock, durations as written, random values, "did you mean", files and
//! directories, text from outside made safe to show, the process kept out
//! of core files. Every other layer may use them; they use nothing above.

pub mod atomic;
pub mod clock;
pub mod duration;
pub mod expand;
pub mod fs;
pub mod interactive;
pub mod jws;
pub mod no_dump;
pub mod random;
pub mod suggest;
pub mod text;
