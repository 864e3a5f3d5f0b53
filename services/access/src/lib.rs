//! Who sees what (reports.md): the roles and the scope each may see ([`role`]), the
//! bearer tokens that say who is asking ([`tokens`]), the browser sessions opened with
//! them ([`sessions`]), and slowing down an address that keeps failing to sign in
//! ([`throttle`]). The query service and the PostgreSQL wire
//! endpoint both apply these; neither decides access on its own.

pub mod role;
pub mod sessions;
pub mod throttle;
pub mod tokens;

pub use role::{Principal, Refused, Role, Scope};
pub use sessions::Sessions;
pub use throttle::Throttle;
pub use tokens::{NewToken, TokenRecord, Tokens};
