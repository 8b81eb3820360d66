//! Dead letters with a reason: a message that can never be applied is copied to the
//! dead-letter exchange with headers saying why (after the broker confirmed the copy, the
//! original is acked), and [`super::redrive`] lists them and moves them back for another try
//! (`sync-worker redrive` and the support console's sync page). Messages the broker itself
//! dead-letters (delivery limit reached) carry its `x-death` header instead; both are read.

use lapin::{
    BasicProperties, Channel,
    message::Delivery,
    options::BasicPublishOptions,
    types::{AMQPValue, FieldTable, LongString, ShortString},
};

/// Stable error code of a dead letter (`undecodable`, `payload_not_a_contact`, `database`, ...).
pub const REASON_CODE: &str = "x-secutix-error-code";
/// Human-readable reason, without personal data.
pub const REASON: &str = "x-secutix-error";
/// Where the message was first published, for redrive.
pub const ORIGINAL_EXCHANGE: &str = "x-original-exchange";
pub const ORIGINAL_ROUTING_KEY: &str = "x-original-routing-key";
/// The contact number, set by publishers so dead letters can be filtered by contact.
pub const CONTACT_NUMBER: &str = "x-contact-number";

/// Copies `delivery` to the dead-letter exchange with the reason in its headers and waits for
/// the broker's confirm. The caller acks the original afterwards.
pub async fn publish(
    channel: &Channel,
    dead_letter_exchange: &str,
    delivery: &Delivery,
    code: &str,
    reason: &str,
) -> anyhow::Result<()> {
    let mut headers = delivery.properties.headers().clone().unwrap_or_default();
    insert(&mut headers, REASON_CODE, code);
    insert(&mut headers, REASON, reason);
    insert(&mut headers, ORIGINAL_EXCHANGE, delivery.exchange.as_str());
    insert(&mut headers, ORIGINAL_ROUTING_KEY, delivery.routing_key.as_str());
    let properties = delivery.properties.clone().with_headers(headers);
    confirm(
        channel,
        dead_letter_exchange,
        delivery.routing_key.as_str(),
        &delivery.data,
        properties,
    )
    .await
}

/// Publishes with mandatory routing and waits for an unreturned ack.
pub async fn confirm(
    channel: &Channel,
    exchange: &str,
    routing_key: &str,
    payload: &[u8],
    properties: BasicProperties,
) -> anyhow::Result<()> {
    let options = BasicPublishOptions {
        mandatory: true,
        ..Default::default()
    };
    let confirmation = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        channel
            .basic_publish(exchange.into(), routing_key.into(), options, payload, properties)
            .await?
            .await
    })
    .await
    .map_err(|_| anyhow::anyhow!("the broker did not confirm within 10 s"))??;
    match confirmation {
        lapin::Confirmation::Ack(None) => Ok(()),
        lapin::Confirmation::Ack(Some(_)) => {
            anyhow::bail!("unroutable: {exchange} has no bound queue")
        }
        other => anyhow::bail!("not confirmed: {other:?}"),
    }
}

/// The human-readable reason we wrote (never personal data); the broker writes none.
pub fn reason(headers: Option<&FieldTable>) -> Option<String> {
    text(headers?.inner().get(REASON))
}

/// The dead letter's reason code: ours, else the broker's (`delivery_limit`, `rejected`, ...).
pub fn reason_code(headers: Option<&FieldTable>) -> Option<String> {
    let headers = headers?;
    if let Some(code) = text(headers.inner().get(REASON_CODE)) {
        return Some(code);
    }
    first_death(headers).and_then(|death| text(death.inner().get("reason")))
}

/// The routing key the message was first published with.
pub fn original_routing_key(headers: Option<&FieldTable>) -> Option<String> {
    let headers = headers?;
    if let Some(key) = text(headers.inner().get(ORIGINAL_ROUTING_KEY)) {
        return Some(key);
    }
    match first_death(headers)?.inner().get("routing-keys") {
        Some(AMQPValue::FieldArray(keys)) => keys.as_slice().first().and_then(|k| text(Some(k))),
        _ => None,
    }
}

pub fn contact_number(headers: Option<&FieldTable>) -> Option<String> {
    text(headers?.inner().get(CONTACT_NUMBER))
}

fn first_death(headers: &FieldTable) -> Option<&FieldTable> {
    match headers.inner().get("x-death") {
        Some(AMQPValue::FieldArray(deaths)) => match deaths.as_slice().first() {
            Some(AMQPValue::FieldTable(death)) => Some(death),
            _ => None,
        },
        _ => None,
    }
}

fn text(value: Option<&AMQPValue>) -> Option<String> {
    match value? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

fn insert(headers: &mut FieldTable, key: &str, value: &str) {
    headers.insert(ShortString::from(key), AMQPValue::LongString(LongString::from(value)));
}
