//! Validated values. Each `parse` is the only way to build one, so code that holds one
//! never re-checks it.
pub mod access;
mod invalid;
mod oci_names;
pub mod password;
mod registry_name;
mod username;

pub use access::{Access, RepositoryPattern};
pub use invalid::InvalidValue;
pub use oci_names::{Digest, Reference, RepositoryName, Tag};
pub use password::Password;
pub use registry_name::RegistryName;
pub use username::Username;
