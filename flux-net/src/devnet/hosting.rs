//! The devnet's Docker side: whether an engine answers, the sample app's image built from a
//! local binary (no registry), and the removal of the devnet's containers when it stops.

use std::path::Path;

use super::{DevnetError, Layout, SAMPLE_IMAGE};
use crate::runtime::{DockerRuntime, Runtime, image};

/// The Docker Engine of `DOCKER_HOST` (else the default socket), if it answers; otherwise
/// why not, in a sentence.
pub async fn docker() -> Result<DockerRuntime, String> {
    let docker = DockerRuntime::connect(None)
        .await
        .map_err(|e| e.to_string())?;
    docker.ping().await.map_err(|e| e.to_string())?;
    Ok(docker)
}

/// Builds [`SAMPLE_IMAGE`] from `binary` (the `flux` executable: its entrypoint is
/// `flux sample-app`) and the libraries it links, replacing an older image of that tag.
///
/// # Errors
/// [`DevnetError::Runtime`] when the image cannot be built.
pub async fn build_sample_image(docker: &DockerRuntime, binary: &Path) -> Result<(), DevnetError> {
    image::import_binary(docker, binary, SAMPLE_IMAGE, &["sample-app"]).await?;
    Ok(())
}

/// Removes every container and network the devnet's validators run (by their `io.flux.node`
/// labels); the number of containers removed. Their data folders stay, so a resumed devnet's
/// nodes recreate the containers with their data.
///
/// # Errors
/// [`DevnetError::Runtime`] when the engine fails; [`DevnetError::Genesis`] when the devnet's
/// genesis cannot be read.
pub async fn remove_containers(
    layout: &Layout,
    docker: &dyn Runtime,
) -> Result<usize, DevnetError> {
    let mut removed = 0;
    for id in layout.node_ids()? {
        let node = id.to_string();
        for container in docker.list(Some(&node)).await? {
            docker.remove(&container.name).await?;
            removed += 1;
        }
        for network in docker.list_networks(Some(&node)).await? {
            docker.remove_network(&network.name).await?;
        }
    }
    Ok(removed)
}
