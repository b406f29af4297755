//! DNS rebinding: an https URL whose name passes when it is registered (nothing resolves it then)
//! but resolves to an internal address when the event is sent is never connected to. Over a real
//! socket on loopback; the name is answered from the sender's hosts table, so no DNS server is
//! needed.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use secrecy::SecretString;
use voxanne::store::{NewWebhookEndpoint, Store};
use voxanne::vault::{Keyring, MasterKey};
use voxanne::webhook_delivery::{WebhookConfig, WebhookDelivery};
use voxanne::webhooks::address::{AddressPolicy, GuardedResolver};

use crate::support::database::TestDb;

const NAME: &str = "hooks.rebind.example";

/// A loopback socket that counts the connections made to it (and closes each).
async fn counting_socket() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (port, accepted)
}

/// One delivery step of a sender with `policy` whose resolver answers [`NAME`] with loopback
/// (first, so that without the guard the connection would be made at once) and the cloud
/// metadata address.
async fn deliver_with(store: &Store, policy: AddressPolicy) -> usize {
    let internal = [
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
    ];
    let resolver = GuardedResolver::new(policy).with_host(NAME, &internal);
    let config = WebhookConfig {
        policy,
        ..WebhookConfig::default()
    };
    WebhookDelivery::with_resolver(store, config, resolver)
        .unwrap()
        .deliver_once()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_name_that_resolves_to_an_internal_address_at_delivery_time_is_never_connected_to() {
    let (port, accepted) = counting_socket().await;
    let db = TestDb::new().await;
    let store = Store::open(&db.url, Keyring::new(vec![MasterKey::generate()]).unwrap())
        .await
        .unwrap();
    let org = store.create_organization("Rebind Clinic").await.unwrap().id;
    let url = format!("https://{NAME}:{port}/events");
    let strict = AddressPolicy::default();
    assert!(
        strict.check_url(&url).is_ok(),
        "registered as any public name is"
    );
    let endpoint = store
        .insert_webhook_endpoint(
            &org,
            NewWebhookEndpoint {
                url,
                description: String::new(),
                events: vec!["message.sent".to_owned()],
            },
            &SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        )
        .await
        .unwrap();
    store.queue_webhook_test(&org, &endpoint.id).await.unwrap();

    assert_eq!(deliver_with(&store, strict).await, 1);

    let attempts = store
        .list_webhook_attempts(&org, &endpoint.id, 10)
        .await
        .unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status_code, None);
    let error = attempts[0].error.clone().unwrap_or_default();
    assert!(
        error.contains("resolves to no address that may be called"),
        "{error}"
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "nothing was connected to"
    );

    // The control: the same name and table under a policy that allows loopback connects (and
    // then fails, as this socket speaks no TLS), so what stopped the first was the guard.
    store.queue_webhook_test(&org, &endpoint.id).await.unwrap();
    let lenient = AddressPolicy {
        allow_insecure: true,
    };
    assert_eq!(deliver_with(&store, lenient).await, 1);
    assert!(
        accepted.load(Ordering::SeqCst) >= 1,
        "the name led to the socket"
    );
    store.close().await;
}
