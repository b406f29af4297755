//! The integration tests of crate `voxanne`, in one binary (one link, shared fixtures).

mod delivery;
