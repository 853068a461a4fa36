//! dockerleak: find secret leaks in Dockerfiles before an image is built.
pub mod source;
pub mod syntax;
pub mod secrets;
