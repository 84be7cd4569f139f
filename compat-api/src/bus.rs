//! The message bus between services: casts to a topic, calls that wait for
//! a reply, and notifications, in oslo.messaging's JSON envelope so that a
//! consumer written for upstream OpenStack can read what we publish.
//!
//! [`Bus`] is the one interface; [`InProcessBus`] implements it inside one
//! process (all-in-one). An AMQP implementation carries the same
//! [`Message`] values between processes. Consumers that subscribe to the
//! same topic share its messages (each goes to one of them), which is how
//! several schedulers share one queue.

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The default topic of notifications (`notifications.info` and friends
/// as routing keys, by priority).
pub const NOTIFICATIONS_TOPIC: &str = "notifications";

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum BusError {
    #[error("no reply from {topic} within {seconds} s")]
    Timeout { topic: String, seconds: u64 },
    #[error("the bus is closed")]
    Closed,
    /// The remote side answered with an error.
    #[error("{0}")]
    Remote(String),
    #[error("cannot decode a message: {0}")]
    Decode(String),
}

/// One RPC message: oslo.messaging's `method`/`args` with the caller's
/// context, and where to send the reply for a call.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Message {
    pub method: String,
    pub args: Value,
    /// The request context (`request_id`, `user_id`, `project_id`, ...).
    #[serde(default)]
    pub context: Value,
    /// `_msg_id`: present on calls, echoed by the reply.
    #[serde(rename = "_msg_id", default, skip_serializing_if = "Option::is_none")]
    pub msg_id: Option<String>,
    /// `_reply_q`: the topic the reply goes to.
    #[serde(rename = "_reply_q", default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

impl Message {
    pub fn new(method: &str, args: impl Serialize, context: Value) -> Result<Message, BusError> {
        Ok(Message {
            method: method.to_owned(),
            args: serde_json::to_value(args).map_err(|e| BusError::Decode(e.to_string()))?,
            context,
            msg_id: None,
            reply_to: None,
        })
    }

    /// The arguments as the type the method expects.
    pub fn args<T: serde::de::DeserializeOwned>(&self) -> Result<T, BusError> {
        T::deserialize(&self.args).map_err(|e| BusError::Decode(format!("{}: {e}", self.method)))
    }
}

/// An oslo.messaging notification (`event_type`, `payload`, ...).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Notification {
    pub message_id: String,
    /// `nova-compute:host1`
    pub publisher_id: String,
    /// `instance.create.end`
    pub event_type: String,
    /// `INFO`, `ERROR`, ...
    pub priority: String,
    pub payload: Value,
    /// `2026-11-21 10:00:00.123456`, oslo's format.
    pub timestamp: String,
    /// The request context, as `_context_<key>` entries.
    #[serde(flatten)]
    pub context: serde_json::Map<String, Value>,
}

impl Notification {
    pub fn info(publisher_id: String, event_type: &str, payload: Value) -> Notification {
        Notification {
            message_id: uuid::Uuid::new_v4().to_string(),
            publisher_id,
            event_type: event_type.to_owned(),
            priority: "INFO".into(),
            payload,
            timestamp: chrono::Utc::now()
                .format("%Y-%m-%d %H:%M:%S%.6f")
                .to_string(),
            context: serde_json::Map::new(),
        }
    }

    /// Adds the request context as oslo flattens it: `_context_<key>`.
    pub fn with_context(mut self, context: &Value) -> Notification {
        if let Some(map) = context.as_object() {
            for (k, v) in map {
                self.context.insert(format!("_context_{k}"), v.clone());
            }
        }
        self
    }

    /// The routing key it travels under on `topic`: `notifications.info`.
    pub fn routing_key(&self, topic: &str) -> String {
        format!("{topic}.{}", self.priority.to_ascii_lowercase())
    }

    /// The JSON a message-bus consumer receives: oslo.messaging's version
    /// 2.0 envelope, whose `oslo.message` is the notification serialised as
    /// a string.
    pub fn envelope(&self) -> Value {
        json!({
            "oslo.version": "2.0",
            "oslo.message": serde_json::to_string(self).unwrap_or_default(),
        })
    }

    /// Reads an envelope written by [`Notification::envelope`].
    pub fn from_envelope(envelope: &Value) -> Result<Notification, BusError> {
        let inner = envelope
            .get("oslo.message")
            .and_then(Value::as_str)
            .ok_or_else(|| BusError::Decode("no oslo.message in the envelope".into()))?;
        serde_json::from_str(inner).map_err(|e| BusError::Decode(e.to_string()))
    }
}

/// What a consumer receives.
#[derive(Debug)]
pub enum Delivery {
    Message(Message),
    /// A notification, as its envelope.
    Notification(Value),
}

/// The messages of one topic, shared by every consumer that subscribed to it.
#[derive(Clone)]
pub struct Subscription {
    rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Delivery>>>,
}

impl Subscription {
    /// The next message, or `None` once the bus is gone.
    pub async fn recv(&self) -> Option<Delivery> {
        self.rx.lock().await.recv().await
    }
}

pub trait Bus: Send + Sync {
    /// Sends a message to one consumer of `topic`, without waiting.
    fn cast(&self, topic: &str, message: Message) -> Result<(), BusError>;

    /// Sends a message to one consumer of `topic` and waits for its reply.
    fn call<'a>(
        &'a self,
        topic: &'a str,
        message: Message,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Value, BusError>>;

    /// Answers a call received as `message`.
    fn reply(&self, message: &Message, result: Result<Value, String>);

    /// Publishes a notification on `topic` (`notifications`,
    /// `versioned_notifications`), routed by its priority.
    fn notify(&self, topic: &str, notification: &Notification);

    /// Consumes `topic` (shared with other subscribers of the same topic).
    fn subscribe(&self, topic: &str) -> Subscription;
}

struct Topic {
    tx: mpsc::UnboundedSender<Delivery>,
    rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Delivery>>>,
    subscribed: bool,
}

impl Topic {
    fn new() -> Topic {
        let (tx, rx) = mpsc::unbounded_channel();
        Topic {
            tx,
            rx: Arc::new(tokio::sync::Mutex::new(rx)),
            subscribed: false,
        }
    }
}

type Pending = HashMap<String, oneshot::Sender<Result<Value, String>>>;

/// The bus inside one process: a queue per topic, replies by message id.
#[derive(Default)]
pub struct InProcessBus {
    topics: Mutex<HashMap<String, Topic>>,
    pending: Mutex<Pending>,
}

const REPLY_TOPIC: &str = "reply_inprocess";

impl InProcessBus {
    pub fn new() -> Arc<InProcessBus> {
        Arc::new(InProcessBus::default())
    }

    fn send(&self, topic: &str, delivery: Delivery) -> Result<(), BusError> {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        let entry = topics.entry(topic.to_owned()).or_insert_with(Topic::new);
        entry.tx.send(delivery).map_err(|_| BusError::Closed)
    }
}

impl Bus for InProcessBus {
    fn cast(&self, topic: &str, message: Message) -> Result<(), BusError> {
        self.send(topic, Delivery::Message(message))
    }

    fn call<'a>(
        &'a self,
        topic: &'a str,
        mut message: Message,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Value, BusError>> {
        Box::pin(async move {
            let id = uuid::Uuid::new_v4().simple().to_string();
            let (tx, rx) = oneshot::channel();
            self.pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id.clone(), tx);
            message.msg_id = Some(id.clone());
            message.reply_to = Some(REPLY_TOPIC.to_owned());
            self.cast(topic, message)?;
            let answer = tokio::time::timeout(timeout, rx).await;
            self.pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            match answer {
                Ok(Ok(Ok(value))) => Ok(value),
                Ok(Ok(Err(remote))) => Err(BusError::Remote(remote)),
                Ok(Err(_)) => Err(BusError::Closed),
                Err(_) => Err(BusError::Timeout {
                    topic: topic.to_owned(),
                    seconds: timeout.as_secs(),
                }),
            }
        })
    }

    fn reply(&self, message: &Message, result: Result<Value, String>) {
        let Some(id) = &message.msg_id else { return };
        let waiter = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        if let Some(tx) = waiter {
            // The caller may have timed out and gone; nothing to do then.
            let _ = tx.send(result);
        }
    }

    fn notify(&self, topic: &str, notification: &Notification) {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        // Nobody listening: dropped, as an unread in-process queue would
        // only grow.
        let Some(topic) = topics.get_mut(topic).filter(|t| t.subscribed) else {
            return;
        };
        let _ = topic
            .tx
            .send(Delivery::Notification(notification.envelope()));
    }

    fn subscribe(&self, topic: &str) -> Subscription {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        let entry = topics.entry(topic.to_owned()).or_insert_with(Topic::new);
        entry.subscribed = true;
        Subscription {
            rx: entry.rx.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn casts_reach_one_consumer_of_a_shared_topic() {
        let bus = InProcessBus::new();
        let a = bus.subscribe("scheduler");
        let b = bus.subscribe("scheduler");
        for i in 0..2 {
            bus.cast("scheduler", Message::new("m", i, Value::Null).unwrap())
                .unwrap();
        }
        let first = a.recv().await;
        let second = b.recv().await;
        let args: Vec<i64> = [first, second]
            .into_iter()
            .map(|d| match d {
                Some(Delivery::Message(m)) => m.args().unwrap(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(args, vec![0, 1]);
    }

    #[tokio::test]
    async fn call_waits_for_the_reply_and_times_out_without_one() {
        let bus = InProcessBus::new();
        let sub = bus.subscribe("conductor");
        let server = bus.clone();
        tokio::spawn(async move {
            while let Some(Delivery::Message(m)) = sub.recv().await {
                let n: i64 = m.args().unwrap();
                server.reply(&m, Ok(json!(n * 2)));
            }
        });
        let msg = Message::new("double", 21, Value::Null).unwrap();
        let got = bus
            .call("conductor", msg, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(got, json!(42));
        let msg = Message::new("x", 1, Value::Null).unwrap();
        let err = bus
            .call("nobody", msg, Duration::from_millis(20))
            .await
            .unwrap_err();
        assert!(matches!(err, BusError::Timeout { .. }));
    }

    #[tokio::test]
    async fn notifications_travel_in_the_oslo_envelope_and_only_to_listeners() {
        let bus = InProcessBus::new();
        let n = Notification::info(
            "nova-compute:h1".into(),
            "instance.create.end",
            json!({"a": 1}),
        );
        bus.notify(NOTIFICATIONS_TOPIC, &n); // nobody listens: dropped
        let sub = bus.subscribe(NOTIFICATIONS_TOPIC);
        bus.notify(NOTIFICATIONS_TOPIC, &n);
        let Some(Delivery::Notification(envelope)) = sub.recv().await else {
            panic!("no notification")
        };
        assert_eq!(envelope["oslo.version"], "2.0");
        assert_eq!(Notification::from_envelope(&envelope).unwrap(), n);
        assert_eq!(n.routing_key(NOTIFICATIONS_TOPIC), "notifications.info");
    }
}
