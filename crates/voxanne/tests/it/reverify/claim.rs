//! The claim itself: two servers claiming at the same moment split the due credentials between
//! them, a claimed one is not handed out again before its lease, and inactive ones are skipped.

use std::collections::HashSet;

use voxanne::store::CredentialPatch;

use crate::support::TestStore;

#[tokio::test]
async fn two_servers_claiming_at_once_split_the_due_credentials_and_none_is_handed_out_twice() {
    let (t, org) = TestStore::with_clinic().await;
    let mut active = HashSet::new();
    for n in 0..6 {
        active.insert(t.any_twilio(&org.id, &format!("Account {n}")).await.id);
    }
    let inactive = t.any_twilio(&org.id, "Disabled").await.id;
    t.patch(
        &org.id,
        &inactive,
        CredentialPatch {
            is_active: Some(false),
            ..CredentialPatch::default()
        },
    )
    .await;
    let other_server = t.reopen_with(vec![t.key.clone()]).await;
    let now = 1_000_000;
    let scheduled = t
        .store
        .schedule_unscheduled_rechecks(now, || 0)
        .await
        .unwrap();
    assert_eq!(scheduled, 7);

    let lease = now + 60_000;
    let (one, two) = tokio::join!(
        t.store.claim_due_rechecks(now, lease, 10),
        other_server.claim_due_rechecks(now, lease, 10)
    );
    let (one, two) = (one.unwrap(), two.unwrap());
    let again = t
        .store
        .claim_due_rechecks(now + 59_999, lease, 10)
        .await
        .unwrap();
    let after_lease = t
        .store
        .claim_due_rechecks(lease, lease + 60_000, 10)
        .await
        .unwrap();

    let claimed: Vec<_> = one.iter().chain(&two).map(|c| c.id.clone()).collect();
    assert_eq!(claimed.len(), 6, "one: {one:?}, two: {two:?}");
    assert_eq!(claimed.into_iter().collect::<HashSet<_>>(), active);
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(after_lease.len(), 6);
    assert!(after_lease.iter().all(|c| c.id != inactive));
}
