//! Every fault Odoo 17 produced in the transcripts maps to the right typed error, keeping the
//! last line of Odoo's message; fault 1 splits into exception type and message; none of them
//! counts as transient.

use scorekeeper::odoo::{ErrorKind, OdooError};
use scorekeeper::xmlrpc::{MethodResponse, decode_response};

use crate::support::fake_odoo::transcript;

fn all_faults() -> Vec<(u32, scorekeeper::xmlrpc::Fault)> {
    (1..=103)
        .filter_map(|n| {
            let t = transcript(n);
            match decode_response(t.response.as_bytes()) {
                Ok(MethodResponse::Fault(f)) => Some((n, f)),
                _ => None,
            }
        })
        .collect()
}

#[test]
fn every_recorded_fault_maps_by_code() {
    let faults = all_faults();
    let numbers: Vec<u32> = faults.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        numbers,
        [
            5, 7, 8, 9, 10, 15, 24, 39, 40, 41, 47, 48, 49, 50, 53, 92, 93, 98, 100, 101
        ]
    );
    let mut kinds = std::collections::BTreeMap::new();
    for (n, fault) in &faults {
        let err = OdooError::from_fault(format!("transcript {n}"), fault);
        let expected = match fault.int_code() {
            Some(1) => ErrorKind::ServerError,
            Some(2) => ErrorKind::UserError,
            Some(3) => ErrorKind::AccessDenied,
            Some(4) => ErrorKind::AccessError,
            other => panic!("transcript {n}: code {other:?}"),
        };
        assert_eq!(err.kind(), expected, "transcript {n}");
        assert_eq!(err.last_line(), Some(fault.last_line()), "transcript {n}");
        assert!(!err.is_transient(), "transcript {n}");
        assert!(
            !err.to_string().contains("Traceback"),
            "transcript {n}: {err}"
        );
        *kinds.entry(expected).or_insert(0) += 1;
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            (ErrorKind::AccessDenied, 1),
            (ErrorKind::AccessError, 3),
            (ErrorKind::UserError, 3),
            (ErrorKind::ServerError, 13),
        ]
    );
}

#[test]
fn server_errors_split_exception_and_message() {
    let expected = [
        (
            5,
            "psycopg2.OperationalError",
            "connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: FATAL:  database \"no_such_db\" does not exist",
        ),
        (
            9,
            "AttributeError",
            "The method 'no_such_method' does not exist on the model 'crm.lead'",
        ),
        (39, "ValueError", "Invalid leaf ('name', '~~', 'x')"),
        (
            41,
            "ValueError",
            "Domain ['|', ['name', '=', 'x']] is syntactically not correct.",
        ),
        (
            47,
            "ValueError",
            "Invalid field 'x_no_such_field' on model 'crm.lead'",
        ),
        (48, "ValueError", "Wrong value for crm.lead.priority: '9'"),
        (
            50,
            "psycopg2.errors.NumericValueOutOfRange",
            "integer out of range",
        ),
        (
            53,
            "TypeError",
            "Lead.write() missing 1 required positional argument: 'vals'",
        ),
        (100, "KeyError", "'nosuchservice'"),
    ];
    let faults = all_faults();
    for (n, exc, msg) in expected {
        let fault = &faults.iter().find(|(m, _)| *m == n).unwrap().1;
        let err = OdooError::from_fault("c", fault);
        let OdooError::ServerError {
            exception, message, ..
        } = &err
        else {
            panic!("{n}: {err:?}")
        };
        assert_eq!(
            (exception.as_str(), message.as_str()),
            (exc, msg),
            "transcript {n}"
        );
    }
}

#[test]
fn user_and_access_messages_are_kept_whole() {
    let faults = all_faults();
    let message = |n: u32| {
        let fault = &faults.iter().find(|(m, _)| *m == n).unwrap().1;
        match OdooError::from_fault("c", fault) {
            OdooError::UserError { message, .. } | OdooError::AccessError { message, .. } => {
                message
            }
            other => panic!("{n}: {other:?}"),
        }
    };
    assert_eq!(
        message(15),
        "The operation cannot be completed: Custom fields must have a name that starts with 'x_'!"
    );
    assert_eq!(
        message(49),
        "Record does not exist or has been deleted.\n(Record: crm.lead(999999,), User: 2)"
    );
    assert_eq!(
        message(10),
        "Private methods (such as _compute_probabilities) cannot be called remotely."
    );
    assert!(message(92).starts_with(
        "You are not allowed to modify 'Gamification Challenge' (gamification.challenge) records."
    ));
}
