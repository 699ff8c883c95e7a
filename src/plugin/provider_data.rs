//! What ConfigureProvider produced, as every later call sees it.
//!
//! Terraform configures a provider once per process and then reads, plans
//! and applies through it; the SDK keeps the provider's data (its API
//! client, say) and hands it to each call, so providers need no shared
//! state of their own and every data source or resource reports a missing
//! configuration the same way.

use std::sync::Arc;

use super::diagnostics::Diagnostic;

/// How `configure` went when it did not fail.
pub enum Configured<D> {
    /// Ready: this is what data sources and resources get.
    Ready(Arc<D>),
    /// The provider block holds values only known after apply (it depends
    /// on resources not created yet); calls that need the data get
    /// [`ProviderData::get`]'s "not known yet" diagnostic.
    Deferred,
}

/// The provider's data as one call sees it: there, deferred, or absent.
pub struct ProviderData<D> {
    state: State<D>,
}

enum State<D> {
    Unconfigured,
    Deferred,
    Ready(Arc<D>),
}

// Not derived: that would require `D: Clone`, and only the `Arc` is cloned.
impl<D> Clone for ProviderData<D> {
    fn clone(&self) -> Self {
        Self {
            state: match &self.state {
                State::Unconfigured => State::Unconfigured,
                State::Deferred => State::Deferred,
                State::Ready(data) => State::Ready(data.clone()),
            },
        }
    }
}

impl<D> std::fmt::Debug for ProviderData<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.state {
            State::Unconfigured => "ProviderData::Unconfigured",
            State::Deferred => "ProviderData::Deferred",
            State::Ready(_) => "ProviderData::Ready",
        })
    }
}

impl<D> Default for ProviderData<D> {
    fn default() -> Self {
        Self::unconfigured()
    }
}

impl<D> From<Configured<D>> for ProviderData<D> {
    fn from(configured: Configured<D>) -> Self {
        Self {
            state: match configured {
                Configured::Ready(data) => State::Ready(data),
                Configured::Deferred => State::Deferred,
            },
        }
    }
}

impl<D> ProviderData<D> {
    /// Before ConfigureProvider, or after it failed.
    pub fn unconfigured() -> Self {
        Self {
            state: State::Unconfigured,
        }
    }

    /// Configured with `data`; for tests that call a data source directly.
    pub fn ready(data: Arc<D>) -> Self {
        Self {
            state: State::Ready(data),
        }
    }

    /// The data, or the diagnostic Terraform users should see when there is
    /// none. Return that diagnostic as it is: its wording is the SDK's
    /// contract with users, whichever data source or resource hits it.
    pub fn get(&self) -> Result<Arc<D>, Diagnostic> {
        match &self.state {
            State::Ready(data) => Ok(data.clone()),
            State::Deferred => Err(Diagnostic::error(
                "Provider configuration not known yet",
                "The provider block uses values that are only known after apply; apply the \
                 resources it depends on first (for example with -target).",
            )),
            State::Unconfigured => Err(Diagnostic::error(
                "Provider not configured",
                "Terraform read a data source or managed a resource before configuring the \
                 provider; this is a bug.",
            )),
        }
    }

    /// Whether configuration was deferred; plans can use it to leave
    /// values unknown instead of failing.
    pub fn is_deferred(&self) -> bool {
        matches!(self.state, State::Deferred)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_answers_as_documented() {
        let ready = ProviderData::ready(Arc::new(7));
        assert_eq!(*ready.clone().get().unwrap(), 7);
        let deferred = ProviderData::<i32>::from(Configured::Deferred);
        assert!(deferred.is_deferred());
        assert_eq!(
            deferred.get().unwrap_err().summary,
            "Provider configuration not known yet"
        );
        assert_eq!(
            ProviderData::<i32>::default().get().unwrap_err().summary,
            "Provider not configured"
        );
    }
}
