//! App specification parsing: both readers on arbitrary bytes.

use flux_core::params::ChainParams;
use flux_nodes::app::AppSpec;

/// Reads `data` with the strict and the lenient reader. Neither may panic; whatever they read
/// must give a demand, violations and a price without panicking; a spec the strict reader
/// accepts is valid, and writing it out and reading it again strictly gives an equal spec.
pub fn parse_app_spec(data: &[u8]) {
    let params = ChainParams::devnet();
    if let Ok(spec) = AppSpec::from_json_strict(data, &params.apps) {
        assert!(
            spec.validate(&params.apps).is_ok(),
            "strict spec fails validation"
        );
        let json = spec.to_json().expect("a valid spec writes out");
        let again = AppSpec::from_json_strict(json.as_bytes(), &params.apps)
            .expect("a written valid spec reads back");
        assert_eq!(again, spec, "round trip changed the spec: {json}");
        let _ = spec
            .price(&params.apps.prices)
            .expect("a valid spec has a price");
    }
    if let Ok(spec) = AppSpec::from_json_lenient(data, &params.apps) {
        let _ = spec.demand();
        let _ = spec.geo_rules();
        let _ = spec.violations(&params.apps);
        let _ = spec.price(&params.apps.prices);
        if let Ok(json) = spec.to_json() {
            let _ = AppSpec::from_json_lenient(json.as_bytes(), &params.apps);
        }
    }
}
