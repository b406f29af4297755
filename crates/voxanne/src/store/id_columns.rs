//! How typed ids are stored: as their text, validated again when read, so a corrupted row
//! surfaces as an error rather than as a malformed id. Kept here so only persistence speaks sqlx.

use sqlx::Database;
use sqlx::decode::Decode;
use sqlx::encode::{Encode, IsNull};
use sqlx::error::BoxDynError;
use sqlx::types::Type;

use crate::ids::{
    ApiKeyId, AppointmentId, CredentialId, MessageId, OrgId, UserId, WebhookAttemptId,
    WebhookEndpointId, WebhookEventId,
};

macro_rules! id_column {
    ($($name:ident),+ $(,)?) => {$(
        impl<DB: Database> Type<DB> for $name
        where
            String: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $name
        where
            String: Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as Database>::ArgumentBuffer,
            ) -> Result<IsNull, BoxDynError> {
                <String as Encode<'q, DB>>::encode(self.as_str().to_owned(), buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $name
        where
            String: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let raw = <String as Decode<'r, DB>>::decode(value)?;
                Ok(Self::parse(&raw)?)
            }
        }
    )+};
}

id_column!(
    OrgId,
    CredentialId,
    ApiKeyId,
    UserId,
    MessageId,
    AppointmentId,
    WebhookEndpointId,
    WebhookEventId,
    WebhookAttemptId,
);
