//! What gettoken does: the use case "a profile's token" (cache, lock,
//! refresh, grant, store) and the dance of each grant that needs more than
//! one request (discovery, the device login, the browser login), and
//! logging out (revocation).

pub mod browser;
pub mod device;
pub mod discovery;
pub mod dpop;
pub mod logout;
pub mod opener;
pub mod refresh;
pub mod reply;
pub mod token;
