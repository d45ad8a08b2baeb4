//! Folding hosting nodes' rows into instance rows; gateway URLs.
#![allow(clippy::unwrap_used)]

use super::*;

fn status(instance: u32, component: &str, state: InstanceState, restarts: u32) -> InstanceStatus {
    InstanceStatus {
        app: "web".into(),
        component: component.into(),
        instance,
        container: format!("flux{component}_web"),
        state,
        since_ms: 10 + u64::from(instance),
        restarts,
        last_error: None,
        ports_answer: true,
        published: vec![format!("127.0.0.1:{}", 30000 + instance)],
        direct: Vec::new(),
    }
}

fn answer(rows: Vec<InstanceStatus>) -> Result<HostInstancesView, String> {
    Ok(HostInstancesView {
        node: None,
        hosting: super::super::HostingMode::On,
        reason: None,
        domain_suffix: Some("app.localhost".into()),
        instances: rows,
    })
}

#[test]
fn components_fold_into_the_worst_state_and_restarts_add_up() {
    let node = NodeId::default();
    let rows = vec![
        status(0, "front", InstanceState::Serving, 1),
        status(0, "db", InstanceState::Crashing, 2),
        status(1, "front", InstanceState::Serving, 0),
    ];
    let row = fold(0, node, None, &answer(rows.clone()), "web");
    assert_eq!((row.state, row.restarts), (RowState::Crashing, 3));
    assert_eq!(row.published.len(), 2);
    let one = fold(1, node, None, &answer(rows), "web");
    assert_eq!(one.state, RowState::Serving);
    let absent = fold(2, node, None, &answer(vec![]), "web");
    assert_eq!(absent.state, RowState::Absent);
    let down = fold(0, node, None, &Err("refused".into()), "web");
    assert_eq!(
        (down.state, down.error.as_deref()),
        (RowState::Unreachable, Some("refused"))
    );
}

#[test]
fn urls_use_the_suffix() {
    assert_eq!(app_url("web", "app.localhost"), "http://web.app.localhost/");
    assert_eq!(app_url("web", ".example.org."), "http://web.example.org/");
}
