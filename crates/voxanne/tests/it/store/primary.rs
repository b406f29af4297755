//! Primary credentials: at most one per organization and type, switched atomically, and
//! enforced by the database itself.

use voxanne::store::{CredentialPatch, CredentialType};

use crate::support::TestStore;

#[tokio::test]
async fn making_another_credential_primary_switches_in_one_step() {
    let (t, org) = TestStore::with_clinic().await;
    let first = t.any_twilio(&org.id, "a").await;
    let second = t.any_twilio(&org.id, "b").await;

    let switched = t.set_primary(&org.id, &second.id, true).await.unwrap();

    assert!(switched.is_primary);
    assert!(
        !t.store
            .get_credential(&org.id, &first.id)
            .await
            .unwrap()
            .is_primary
    );
    let unset = t.set_primary(&org.id, &second.id, false).await.unwrap();
    assert!(!unset.is_primary);
    assert_eq!(
        t.primary_twilio(&org.id).await.map(|primary| primary.id),
        Some(first.id.clone()),
        "unmarking the primary hands over to the oldest other active credential"
    );
}

#[tokio::test]
async fn concurrent_primary_switches_leave_exactly_one_primary() {
    let (t, org) = TestStore::with_clinic().await;
    let mut ids = Vec::new();
    for n in 0..6 {
        let cred = t.any_twilio(&org.id, &format!("c{n}")).await;
        ids.push(cred.id);
    }

    let mut tasks = Vec::new();
    for round in 0..4 {
        for id in &ids {
            let (store, org, id) = (t.store.clone(), org.id.clone(), id.clone());
            tasks.push(tokio::spawn(async move {
                let patch = CredentialPatch {
                    is_primary: Some(true),
                    label: Some(format!("r{round}")),
                    ..Default::default()
                };
                store.patch_credential(&org, &id, patch).await
            }));
        }
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    let primaries: Vec<_> = t
        .store
        .list_credentials(&org.id, Some(CredentialType::Twilio))
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.is_primary)
        .collect();
    assert_eq!(primaries.len(), 1, "{primaries:?}");
}

#[tokio::test]
async fn the_database_itself_refuses_a_second_primary_of_a_type() {
    let (t, org) = TestStore::with_clinic().await;
    t.any_twilio(&org.id, "a").await;
    let second = t.any_twilio(&org.id, "b").await;

    let bypassing_the_store = crate::support::raw::force_primary(&t.db, second.id.as_str()).await;

    let err = bypassing_the_store.unwrap_err();
    assert!(
        err.as_database_error()
            .is_some_and(|e| e.is_unique_violation()),
        "{err:?}"
    );
}
