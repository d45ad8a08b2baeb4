use super::{app, component};
use crate::hosting::*;

#[test]
fn generated_names_and_domains() {
    let mut web = component("web", 31000);
    web.ports = vec![31000, 31002];
    web.container_ports = vec![80, 8080];
    web.domains = vec!["".into(), "API.Shop.example.".into()];
    let mut worker = component("worker", 1);
    worker.ports.clear();
    worker.container_ports.clear();
    let shop = app("shop", vec![worker, web, component("db", 31001)]);
    let t = routes([&shop], ".App.Localhost.");
    let r = t.resolve("shop.app.localhost").unwrap();
    assert_eq!(
        (r.component.as_str(), r.port_index, r.public_port),
        ("web", 0, 31000)
    );
    assert_eq!(
        t.resolve("DB.shop.app.localhost:80")
            .unwrap()
            .container_port,
        80
    );
    let api = t.resolve("api.shop.example.com").map(|r| r.public_port);
    assert_eq!(api, None);
    let api = t.resolve("api.shop.example").unwrap();
    assert_eq!(
        (api.port_index, api.public_port, api.container_port),
        (1, 31002, 8080)
    );
    assert!(t.resolve("worker.shop.app.localhost").is_none());
    assert_eq!(t.skipped.len(), 1);
    assert_eq!(t.skipped[0].why, Skip::NoPort);
    assert_eq!(t.hosts.len(), 4);
}

#[test]
fn conflicts_are_settled_by_kind_then_app_name_and_reported() {
    let mut a = component("web", 31000);
    a.domains = vec!["shop.example.com".into()];
    let mut b = component("web", 32000);
    b.domains = vec!["shop.example.com".into()];
    let mut hijack = component("site", 33000);
    hijack.domains = vec![
        "bank.app.localhost".into(),
        "not a host".into(),
        "x".repeat(64),
    ];
    let (first, second, evil) = (
        app("aaa", vec![a]),
        app("bbb", vec![b]),
        app("zzz", vec![hijack]),
    );
    let t1 = routes([&second, &evil, &first], "app.localhost");
    let t2 = routes([&first, &second, &evil], "app.localhost");
    assert_eq!(t1, t2);
    assert_eq!(t1.resolve("shop.example.com").unwrap().app, "aaa");
    let whys: Vec<&Skip> = t1.skipped.iter().map(|s| &s.why).collect();
    assert_eq!(
        whys,
        [
            &Skip::Taken { by: "aaa".into() },
            &Skip::UnderSuffix,
            &Skip::NotAHostName,
            &Skip::NotAHostName
        ]
    );
    let mut bad = app("a.b", vec![component("web", 1)]);
    bad.name = "a.b".into();
    assert!(routes([&bad], "app.localhost").hosts.is_empty());
}
