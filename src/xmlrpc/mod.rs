//! XML-RPC as Odoo speaks it: the value model, a pull decoder on quick-xml and an encoder.
//! This module knows nothing about Odoo; `odoo` and `sim` build on it.

mod value;

pub use value::{Struct, Value, base64_encode};
