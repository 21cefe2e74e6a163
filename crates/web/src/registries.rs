//! The registries the user can browse: loaded once per session, shared by every page.
use leptos::prelude::*;
use shared::admin::RegistryInfo;

use crate::api::ApiError;

/// The registries the user can browse, loaded once per session and shared by every page.
#[derive(Clone, Copy)]
pub struct Registries(pub LocalResource<Result<Vec<RegistryInfo>, ApiError>>);

impl Registries {
    pub fn reload(&self) {
        self.0.refetch();
    }

    /// `None` while loading.
    pub fn list(&self) -> Option<Result<Vec<RegistryInfo>, ApiError>> {
        self.0.get()
    }
}

pub fn use_registries() -> Registries {
    expect_context::<Registries>()
}
