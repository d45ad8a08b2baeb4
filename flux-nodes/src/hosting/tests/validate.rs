//! Every privileged trick we could think of, through every field: refused, never a container.

use super::{app, component, config};
use crate::app::{AppSpec, Enterprise};
use crate::hosting::*;

type Edit = fn(&mut AppSpec);

#[test]
fn privileged_tricks_are_refused() {
    let cases: &[(&str, Edit, &str)] = &[
        (
            "app name with path",
            |a| a.name = "../etc".into(),
            "BadAppName",
        ),
        (
            "app name with underscore",
            |a| a.name = "a_b".into(),
            "BadAppName",
        ),
        ("app name empty", |a| a.name = String::new(), "BadAppName"),
        (
            "app name too long",
            |a| a.name = "a".repeat(64),
            "BadAppName",
        ),
        (
            "app name 'host' option",
            |a| a.name = "--network=host".into(),
            "BadAppName",
        ),
        (
            "component name with slash",
            |a| a.components[0].name = "a/b".into(),
            "BadComponentName",
        ),
        (
            "component name with dot",
            |a| a.components[0].name = "..".into(),
            "BadComponentName",
        ),
        (
            "component name unicode",
            |a| a.components[0].name = "wéb".into(),
            "BadComponentName",
        ),
        (
            "component duplicate",
            |a| {
                let c = a.components[0].clone();
                a.components.push(c)
            },
            "DuplicateComponent",
        ),
        ("no components", |a| a.components.clear(), "NoComponents"),
        (
            "encrypted enterprise",
            |a| a.enterprise = Enterprise::Encrypted("x".into()),
            "EncryptedEnterprise",
        ),
        (
            "repoauth",
            |a| a.components[0].repoauth = Some("user:pass".into()),
            "RepoAuthUnsupported",
        ),
        (
            "secrets",
            |a| a.components[0].secrets = Some("s".into()),
            "SecretsUnsupported",
        ),
        (
            "gpu (devices)",
            |a| a.components[0].gpu = 1,
            "GpuUnsupported",
        ),
        (
            "image option injection",
            |a| a.components[0].repotag = "--privileged".into(),
            "BadImage",
        ),
        (
            "image with space",
            |a| a.components[0].repotag = "nginx --privileged".into(),
            "BadImage",
        ),
        (
            "image empty",
            |a| a.components[0].repotag = String::new(),
            "BadImage",
        ),
        (
            "image upper-case path",
            |a| a.components[0].repotag = "Nginx".into(),
            "BadImage",
        ),
        (
            "image path traversal",
            |a| a.components[0].repotag = "../nginx".into(),
            "BadImage",
        ),
        (
            "image bad tag",
            |a| a.components[0].repotag = "nginx:-x".into(),
            "BadImage",
        ),
        (
            "image bad digest",
            |a| a.components[0].repotag = "nginx@sha256:xyz".into(),
            "BadImage",
        ),
        (
            "image newline",
            |a| a.components[0].repotag = "nginx\n".into(),
            "BadImage",
        ),
        (
            "image NUL",
            |a| a.components[0].repotag = "nginx\0".into(),
            "BadImage",
        ),
        (
            "image double colon",
            |a| a.components[0].repotag = "nginx:1:2".into(),
            "BadImage",
        ),
        (
            "ports without containerPorts",
            |a| a.components[0].container_ports.clear(),
            "PortsMismatch",
        ),
        ("port 0", |a| a.components[0].ports = vec![0], "PortZero"),
        (
            "container port 0",
            |a| a.components[0].container_ports = vec![0],
            "PortZero",
        ),
        (
            "duplicate port in a component",
            |a| {
                a.components[0].ports = vec![31000, 31000];
                a.components[0].container_ports = vec![80, 81]
            },
            "DuplicatePort",
        ),
        (
            "duplicate port across components",
            |a| {
                let mut c = a.components[0].clone();
                c.name = "two".into();
                a.components.push(c)
            },
            "DuplicatePort",
        ),
        (
            "node's own API port",
            |a| a.components[0].ports = vec![16127],
            "ReservedPort",
        ),
        (
            "docker socket",
            |a| a.components[0].container_data = "/var/run/docker.sock".into(),
            "BadContainerData",
        ),
        (
            "bind syntax host:container",
            |a| a.components[0].container_data = "/var/run/docker.sock:/sock".into(),
            "BadContainerData",
        ),
        (
            "bind syntax with options",
            |a| a.components[0].container_data = "/data:rw,z".into(),
            "BadContainerData",
        ),
        (
            "escape with ..",
            |a| a.components[0].container_data = "/data/../../etc".into(),
            "BadContainerData",
        ),
        (
            "dot component",
            |a| a.components[0].container_data = "/data/./x".into(),
            "BadContainerData",
        ),
        (
            "relative path",
            |a| a.components[0].container_data = "data".into(),
            "BadContainerData",
        ),
        (
            "sync prefix then relative",
            |a| a.components[0].container_data = "s:data".into(),
            "BadContainerData",
        ),
        (
            "component reference",
            |a| a.components[0].container_data = "0:/data".into(),
            "BadContainerData",
        ),
        (
            "several mounts",
            |a| a.components[0].container_data = "/data|0:/other".into(),
            "BadContainerData",
        ),
        (
            "root",
            |a| a.components[0].container_data = "/".into(),
            "BadContainerData",
        ),
        (
            "double slash",
            |a| a.components[0].container_data = "//etc".into(),
            "BadContainerData",
        ),
        (
            "proc",
            |a| a.components[0].container_data = "/proc".into(),
            "BadContainerData",
        ),
        (
            "sys below",
            |a| a.components[0].container_data = "/sys/fs/cgroup".into(),
            "BadContainerData",
        ),
        (
            "dev",
            |a| a.components[0].container_data = "/dev/".into(),
            "BadContainerData",
        ),
        (
            "run",
            |a| a.components[0].container_data = "/run/docker.sock".into(),
            "BadContainerData",
        ),
        (
            "home tilde",
            |a| a.components[0].container_data = "~/x".into(),
            "BadContainerData",
        ),
        (
            "NUL in path",
            |a| a.components[0].container_data = "/data\0".into(),
            "BadContainerData",
        ),
        (
            "newline in path",
            |a| a.components[0].container_data = "/data\n/x".into(),
            "BadContainerData",
        ),
        (
            "NUL in env",
            |a| a.components[0].environment_parameters = vec!["A=\0".into()],
            "NulByte",
        ),
        (
            "NUL in command",
            |a| a.components[0].commands = vec!["x\0y".into()],
            "NulByte",
        ),
        (
            "cpu 0 is unlimited",
            |a| a.components[0].cpu_tenths = 0,
            "BadLimit",
        ),
        (
            "ram 0 is unlimited",
            |a| a.components[0].ram_mb = 0,
            "BadLimit",
        ),
    ];
    let cfg = config(1).with_reserved_ports([16127, 16128]);
    for (what, edit, variant) in cases {
        let mut spec = app("shop", vec![component("web", 31000)]);
        edit(&mut spec);
        let err = match containers_for(&spec, 0, &cfg) {
            Ok(c) => panic!("{what}: accepted as {c:?}"),
            Err(e) => e,
        };
        assert!(format!("{err:?}").starts_with(variant), "{what}: {err:?}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn what_is_fine_stays_fine() {
    let cases: &[(&str, Edit)] = &[
        ("env that names docker things", |a| {
            a.components[0].environment_parameters =
                vec!["DOCKER_HOST=unix:///var/run/docker.sock".into()]
        }),
        ("command with flags", |a| {
            a.components[0].commands = vec!["--privileged".into(), "--net=host".into()]
        }),
        ("registry with port", |a| {
            a.components[0].repotag = "registry.example.com:5000/team/app:v1.2-rc_3".into()
        }),
        ("localhost registry", |a| {
            a.components[0].repotag = "localhost/app".into()
        }),
        ("digest", |a| {
            a.components[0].repotag = format!("nginx@sha256:{}", "a".repeat(64))
        }),
        ("separators", |a| {
            a.components[0].repotag = "my__org/my-app.x_y:latest".into()
        }),
        ("no ports", |a| {
            a.components[0].ports.clear();
            a.components[0].container_ports.clear()
        }),
        ("no data", |a| {
            a.components[0].container_data = String::new()
        }),
        ("deep data", |a| {
            a.components[0].container_data = "g:/var/lib/my-app_1/data@x+y".into()
        }),
        ("empty repoauth", |a| {
            a.components[0].repoauth = Some(String::new())
        }),
        ("arcane in clear", |a| a.enterprise = Enterprise::Arcane),
        ("low ports", |a| a.components[0].ports = vec![80]),
    ];
    for (what, edit) in cases {
        let mut spec = app("shop", vec![component("web", 31000)]);
        edit(&mut spec);
        assert!(containers_for(&spec, 0, &config(1)).is_ok(), "{what}");
    }
}
