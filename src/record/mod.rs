//! Plain Odoo records for the pure engines: typed field values and field metadata.
//! Nothing here knows about the wire; `odoo` and `sim` convert to and from XML-RPC.

pub(crate) mod datetime;
mod id_set;
mod schema;
mod store;
mod value;

pub use id_set::{IdSet, IdSetBuilder};
pub use schema::{FieldDef, FieldType, ModelDef, Schema};
pub use store::RecordStore;
pub use value::Value;
