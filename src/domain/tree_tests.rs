//! Normalisation cases: implicit `&`, `!` pushed into operators, dotted paths, depth caps.

use super::*;

fn d(s: &str) -> Domain {
    Domain::parse(s).unwrap()
}

#[test]
fn which_name_tests_care_about_a_linked_tag() {
    let hot = ["Hot"];
    let cares = |s: &str| d(s).depends_on_linked_names("tag_ids", &hot);
    assert!(!cares("[('tag_ids.name', 'in', ['VIP', 'Government'])]"));
    assert!(!cares("[('tag_ids.name', '=', 'VIP')]"));
    assert!(!cares("['!', ('tag_ids.name', '=', 'VIP')]"));
    assert!(!cares("[('partner_id.category_id.name', '=', 'Hot')]"));
    assert!(!cares("[('email_from', '!=', False)]"));
    // Linking "Hot" changes these.
    assert!(cares("[('tag_ids.name', 'in', ['VIP', 'Hot'])]"));
    assert!(cares("[('tag_ids.name', '!=', 'VIP')]"));
    assert!(cares("[('tag_ids.name', 'ilike', 'o')]"));
    assert!(cares("[('tag_ids', '!=', False)]"));
    assert!(cares("[('tag_ids', 'in', [3])]"));
    assert!(cares(
        "['|', ('email_from', '=', False), ('tag_ids.color', '=', 2)]"
    ));
}

#[test]
fn normalizes_like_odoo() {
    // implicit & and flattening
    assert_eq!(
        d("[('a','=',1), ('b','=',2), ('c','=',3)]").to_string(),
        "['&', '&', ('a', '=', 1), ('b', '=', 2), ('c', '=', 3)]"
    );
    // ! pushed into complementable operators, kept for the others
    assert_eq!(
        d("['!', '|', ('a','<',1), ('b','=?',2)]").to_string(),
        "['&', ('a', '>=', 1), '!', ('b', '=?', 2)]"
    );
    let neg = d("['!', ('a','=',[1,2])]");
    assert_eq!(neg.to_string(), "[('a', '!=', [1, 2])]");
    assert!(matches!(&neg.root, Node::Leaf(l) if l.op == Op::NotIn));
    // dotted paths print back as paths; their negation as '!' + path
    assert_eq!(
        d("['!', ('partner_id.country_id.code','=','VN')]").to_string(),
        "['!', ('partner_id.country_id.code', '=', 'VN')]"
    );
    assert_eq!(d("[(1, '=', 1)]").to_string(), "[]");
    assert_eq!(d("['|', (1, '=', 1), ('a', '=', 1)]").to_string(), "[]");
    assert_eq!(
        d("['&', (0, '=', 1), ('a', '~~', 1)]").to_string(),
        "[(0, '=', 1)]"
    );
    assert_eq!(d("[]"), Domain::true_());
}

#[test]
fn combinators_and_fields() {
    let a = d("[('country_id.code','=','VN'), ('user_id','=',user.id)]");
    let b = d("[('tag_ids.name','=','VIP')]");
    assert_eq!(
        a.fields(),
        vec!["country_id.code".to_owned(), "user_id".to_owned()]
    );
    let both = Domain::and(a.clone(), b.clone());
    assert_eq!(both.fields().len(), 3);
    assert_eq!(
        Domain::or(a.clone(), b.clone()).to_string(),
        "['|', '&', ('country_id.code', '=', 'VN'), ('user_id', '=', user.id), ('tag_ids.name', '=', 'VIP')]"
    );
    assert_eq!(Domain::and(Domain::true_(), b.clone()), b);
    assert_eq!(Domain::or(Domain::true_(), b.clone()), Domain::true_());
    assert_eq!(Domain::and(Domain::false_(), b.clone()), Domain::false_());
    assert!(!both.is_bound());
    assert_eq!(both.try_to_lit().unwrap_err().kind(), K::Unbound);
    let env = Env::at(chrono::NaiveDateTime::default()).with_user(bind::UserCtx {
        id: 7,
        partner_id: 1,
        company_id: 1,
        company_ids: vec![1],
        login: String::new(),
        name: String::new(),
    });
    let bound = both.bind(&env).unwrap();
    assert!(bound.is_bound());
    assert_eq!(
        bound.try_to_lit().unwrap().to_string(),
        "['&', '&', ('country_id.code', '=', 'VN'), ('user_id', '=', 7), ('tag_ids.name', '=', 'VIP')]"
    );
    assert_eq!(Domain::from_lit(&bound.to_lit()).unwrap(), bound);
}

#[test]
fn required_leaves_are_those_of_the_root_and_written_or_implicit() {
    let fields = |s: &str| -> Vec<(String, Op)> {
        d(s).required_leaves()
            .into_iter()
            .map(|(f, op, _)| (f.to_owned(), op))
            .collect()
    };
    let implicit = "[('a', '=', 1), ('id', '>', 5)]";
    let written = "['&', ('a', '=', 1), ('id', '>', 5)]";
    for s in [implicit, written] {
        assert_eq!(
            fields(s),
            [("a".to_owned(), Op::Eq), ("id".to_owned(), Op::Gt)],
            "{s}"
        );
    }
    assert_eq!(fields("[('id', '>', 5)]"), [("id".to_owned(), Op::Gt)]);
    // Under `|`, `any` or a path: not required.
    assert_eq!(
        fields("['|', ('a', '=', 1), ('b', '=', 2), ('id', '<', 9)]"),
        [("id".to_owned(), Op::Lt)]
    );
    assert!(fields("['|', ('a', '=', 1), ('id', '>', 5)]").is_empty());
    assert!(fields("[('partner_id.id', '>', 5)]").is_empty());
    assert!(fields("[]").is_empty());
}
