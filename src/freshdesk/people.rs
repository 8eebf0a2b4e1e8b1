//! The v2 agent (`GET /api/v2/agents`) and contact (`GET /api/v2/contacts`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::de::{Phone, null_default};
use super::{Record, RecordKind, RecordRef, positive_id};
use crate::error::{Error, Result};
use crate::repository::{NewAgent, NewContact};

/// A support agent as the API sends it: name and email are under the
/// nested [`contact`](Agent::contact).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// The agent's Freshdesk id.
    pub id: i64,
    /// Available for assignment.
    #[serde(default)]
    pub available: Option<bool>,
    /// An occasional (day-pass) agent.
    #[serde(default)]
    pub occasional: Option<bool>,
    /// The agent's contact fields.
    #[serde(default, deserialize_with = "null_default")]
    pub contact: AgentContact,
    /// Creation instant.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Last update: the newest version wins.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// An agent's nested `contact` object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentContact {
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Active.
    #[serde(default)]
    pub active: Option<bool>,
    /// Job title.
    #[serde(default)]
    pub job_title: Option<String>,
    /// Mobile number (often a JSON number).
    #[serde(default)]
    pub mobile: Option<Phone>,
    /// Phone number (often a JSON number).
    #[serde(default)]
    pub phone: Option<Phone>,
    /// A time-zone name such as "Chennai" (not an IANA id).
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// A customer contact as the API sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// The contact's Freshdesk id.
    pub id: i64,
    /// Display name; missing or `null` reads as empty.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Email (may be `null`).
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number (a string or a number).
    #[serde(default)]
    pub phone: Option<Phone>,
    /// Mobile number (a string or a number).
    #[serde(default)]
    pub mobile: Option<Phone>,
    /// Active (verified).
    #[serde(default)]
    pub active: Option<bool>,
    /// The account's custom fields, values of any JSON type.
    #[serde(default, deserialize_with = "null_default")]
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    /// Creation instant.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Last update: the newest version wins.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Record for Agent {
    const KIND: RecordKind = RecordKind::Agent;

    fn freshdesk_id(&self) -> i64 {
        self.id
    }
}

impl Record for Contact {
    const KIND: RecordKind = RecordKind::Contact;

    fn freshdesk_id(&self) -> i64 {
        self.id
    }
}

/// `updated_at`, else `created_at`, else an error naming the record.
fn version(
    record: &RecordRef,
    updated_at: Option<DateTime<Utc>>,
    created_at: Option<DateTime<Utc>>,
) -> Result<DateTime<Utc>> {
    updated_at.or(created_at).ok_or_else(|| {
        Error::invalid_input(
            "updated_at",
            format!("{record}: missing (and no created_at): the record cannot be ordered"),
        )
    })
}

impl Agent {
    fn record(&self) -> RecordRef {
        RecordRef::id(RecordKind::Agent, self.id)
    }

    /// The version instant: `updated_at`, else `created_at`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the agent when it has neither.
    pub fn version(&self) -> Result<DateTime<Utc>> {
        version(&self.record(), self.updated_at, self.created_at)
    }

    /// The repository input: the Freshdesk id, and the nested contact's
    /// name (empty when missing) and email.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the agent when its id is not positive.
    pub fn to_new_agent(&self) -> Result<NewAgent> {
        Ok(NewAgent {
            freshdesk_agent_id: positive_id(&self.record(), "id", self.id)?,
            name: self.contact.name.clone().unwrap_or_default(),
            email: self.contact.email.clone(),
        })
    }
}

impl Contact {
    fn record(&self) -> RecordRef {
        RecordRef::id(RecordKind::Contact, self.id)
    }

    /// The version instant: `updated_at`, else `created_at`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the contact when it has neither.
    pub fn version(&self) -> Result<DateTime<Utc>> {
        version(&self.record(), self.updated_at, self.created_at)
    }

    /// The repository input: the Freshdesk id, name and email.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the contact when its id is not
    /// positive.
    pub fn to_new_contact(&self) -> Result<NewContact> {
        Ok(NewContact {
            freshdesk_contact_id: positive_id(&self.record(), "id", self.id)?,
            name: self.name.clone(),
            email: self.email.clone(),
        })
    }
}
