//! Browser sign-ins. A person types their token once at `/login`; the browser then holds
//! a session id, never the token. A cookie that leaks (a shared machine, a copied header)
//! gives its holder what is left of one sign-in, signing out ends it on the server, and
//! revoking the token ends every session it opened (the caller checks the token is still
//! active on each request). Sessions live in memory: a restart signs browsers out, which
//! costs a person one sign-in and keeps no secret on disk.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::distr::{Alphanumeric, SampleString};

use crate::role::Principal;

pub struct Sessions {
    lifetime: Duration,
    open: Mutex<HashMap<String, Session>>,
}

struct Session {
    principal: Principal,
    ends: Instant,
}

impl Sessions {
    pub fn new(lifetime: Duration) -> Sessions {
        Sessions { lifetime, open: Mutex::new(HashMap::new()) }
    }

    /// How long a sign-in lasts.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Opens a session for `principal` and returns its id: 43 random letters and digits
    /// (about 256 bits), so ids cannot be guessed.
    pub fn open(&self, principal: Principal) -> String {
        let id = Alphanumeric.sample_string(&mut rand::rng(), 43);
        let now = Instant::now();
        let mut open = self.open.lock().expect("the session table is never poisoned");
        // Ended sessions go whenever one opens: the table holds no more than the sign-ins
        // of one lifetime.
        open.retain(|_, s| s.ends > now);
        open.insert(id.clone(), Session { principal, ends: now + self.lifetime });
        id
    }

    /// Who signed in with session `id`, while it lasts.
    pub fn get(&self, id: &str) -> Option<Principal> {
        let open = self.open.lock().expect("the session table is never poisoned");
        open.get(id).filter(|s| s.ends > Instant::now()).map(|s| s.principal.clone())
    }

    /// Ends session `id` (signing out).
    pub fn close(&self, id: &str) {
        self.open.lock().expect("the session table is never poisoned").remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Role;

    fn someone() -> Principal {
        Principal {
            name: "dsl".into(),
            token_id: "abc".into(),
            role: Role::Dsl,
            school: Some("sch01".parse().unwrap()),
            hub: None,
        }
    }

    #[test]
    fn a_session_lasts_its_lifetime_and_ends_when_closed() {
        let sessions = Sessions::new(Duration::from_secs(3600));
        let (first, second) = (sessions.open(someone()), sessions.open(someone()));
        assert_ne!(first, second, "each sign-in has its own id");
        assert_eq!(first.len(), 43);
        assert_eq!(sessions.get(&first).map(|p| p.token_id), Some("abc".to_string()));
        sessions.close(&first);
        assert!(sessions.get(&first).is_none(), "signed out");
        assert!(sessions.get(&second).is_some(), "the other sign-in stays");
        assert!(sessions.get("not-a-session").is_none());

        let brief = Sessions::new(Duration::ZERO);
        let id = brief.open(someone());
        assert!(brief.get(&id).is_none(), "an ended session lets nobody in");
    }
}
