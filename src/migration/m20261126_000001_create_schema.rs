//! The five tables, their indexes, unique keys and tenant-carrying foreign keys.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

use crate::entity::{agent, contact, conversation, rating, ticket};

pub(super) struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000001_create_schema"
    }
}

/// Column types that differ per backend (DESIGN.md, "Schema").
struct Types(DbBackend);

impl Types {
    /// A UTC instant.
    fn timestamp(&self) -> ColumnType {
        match self.0 {
            DbBackend::Postgres => ColumnType::TimestampWithTimeZone,
            DbBackend::MySql => ColumnType::custom("DATETIME(6)"),
            _ => ColumnType::Text,
        }
    }

    /// A JSON document.
    fn json(&self) -> ColumnType {
        match self.0 {
            DbBackend::Postgres => ColumnType::JsonBinary,
            DbBackend::MySql => ColumnType::Json,
            _ => ColumnType::Text,
        }
    }

    /// A Freshdesk id: text; on MariaDB `VARCHAR(255)` (a unique index cannot
    /// cover `TEXT`) with a binary collation, so ids compare byte for byte as
    /// on the other backends.
    fn freshdesk_id(&self) -> ColumnType {
        match self.0 {
            DbBackend::MySql => {
                ColumnType::custom("VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            }
            _ => ColumnType::Text,
        }
    }

    fn json_default(&self, literal: &str) -> Expr {
        match self.0 {
            DbBackend::Postgres => Expr::cust(format!("'{literal}'::jsonb")),
            DbBackend::MySql => Expr::cust(format!("('{literal}')")),
            _ => Expr::cust(format!("'{literal}'")),
        }
    }
}

fn id_col<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn col<T: IntoIden>(name: T, ty: ColumnType) -> ColumnDef {
    ColumnDef::new_with_type(name, ty).not_null().to_owned()
}

fn null_col<T: IntoIden>(name: T, ty: ColumnType) -> ColumnDef {
    ColumnDef::new_with_type(name, ty).null().to_owned()
}

/// `UNIQUE (merchant_id, id)`: the target of the children's foreign keys.
fn unique_merchant_id<T: IntoIden + Clone, C: IntoIden, I: IntoIden>(
    name: &str,
    table: T,
    merchant: C,
    id: I,
) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(table)
        .col(merchant)
        .col(id)
        .unique()
        .to_owned()
}

async fn create_index(m: &SchemaManager<'_>, index: IndexCreateStatement) -> Result<(), DbErr> {
    let mut index = index;
    m.create_index(index.if_not_exists().to_owned()).await
}

/// Creates a people table (agents or contacts): same shape, different names.
async fn create_people_table(
    m: &SchemaManager<'_>,
    t: &Types,
    table: impl IntoIden + Clone + 'static,
    freshdesk_col: impl IntoIden + Clone + 'static,
    names: (&str, &str),
    cols: (
        impl IntoIden + Clone + 'static,
        impl IntoIden + Clone + 'static,
    ),
) -> Result<(), DbErr> {
    let (merchant, id) = cols;
    m.create_table(
        Table::create()
            .table(table.clone())
            .if_not_exists()
            .col(id_col(id.clone()))
            .col(col(merchant.clone(), ColumnType::BigInteger))
            .col(col(freshdesk_col.clone(), t.freshdesk_id()))
            .col(col(Alias::new("name"), ColumnType::Text))
            .col(null_col(Alias::new("email"), ColumnType::Text))
            .to_owned(),
    )
    .await?;
    create_index(
        m,
        unique_merchant_id(names.0, table.clone(), merchant.clone(), id),
    )
    .await?;
    let mut uq = Index::create();
    uq.name(names.1)
        .table(table)
        .col(merchant)
        .col(freshdesk_col)
        .unique();
    create_index(m, uq).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let t = Types(m.get_database_backend());

        create_people_table(
            m,
            &t,
            agent::Entity,
            agent::Column::FreshdeskAgentId,
            ("uq_agent_merchant_id", "uq_agent_freshdesk_id"),
            (agent::Column::MerchantId, agent::Column::Id),
        )
        .await?;
        create_people_table(
            m,
            &t,
            contact::Entity,
            contact::Column::FreshdeskContactId,
            ("uq_contact_merchant_id", "uq_contact_freshdesk_id"),
            (contact::Column::MerchantId, contact::Column::Id),
        )
        .await?;

        use ticket::Column as T;
        m.create_table(
            Table::create()
                .table(ticket::Entity)
                .if_not_exists()
                .col(id_col(T::Id))
                .col(col(T::MerchantId, ColumnType::BigInteger))
                .col(col(T::FreshdeskTicketId, t.freshdesk_id()))
                .col(col(T::Subject, ColumnType::Text))
                .col(col(T::Status, ColumnType::Integer))
                .col(col(T::Priority, ColumnType::Integer))
                .col(null_col(T::Source, ColumnType::Integer))
                .col(null_col(T::RequesterId, ColumnType::BigInteger))
                .col(null_col(T::ResponderId, ColumnType::BigInteger))
                .col(col(T::CreatedAt, t.timestamp()))
                .col(col(T::UpdatedAt, t.timestamp()))
                .col(null_col(T::FirstRespondedAt, t.timestamp()))
                .col(null_col(T::FirstResponseTime, ColumnType::BigInteger))
                .col(null_col(T::FrDueBy, t.timestamp()))
                .col(null_col(T::DueBy, t.timestamp()))
                .col(null_col(T::ResolvedAt, t.timestamp()))
                .col(null_col(T::ClosedAt, t.timestamp()))
                .col(
                    col(T::Tags, t.json())
                        .default(t.json_default("[]"))
                        .to_owned(),
                )
                .col(
                    col(T::CustomFields, t.json())
                        .default(t.json_default("{}"))
                        .to_owned(),
                )
                .col(
                    col(T::Processed, ColumnType::Boolean)
                        .default(false)
                        .to_owned(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_ticket_requester")
                        .from(ticket::Entity, (T::MerchantId, T::RequesterId))
                        .to(
                            contact::Entity,
                            (contact::Column::MerchantId, contact::Column::Id),
                        )
                        .on_delete(ForeignKeyAction::NoAction)
                        .on_update(ForeignKeyAction::NoAction),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_ticket_responder")
                        .from(ticket::Entity, (T::MerchantId, T::ResponderId))
                        .to(
                            agent::Entity,
                            (agent::Column::MerchantId, agent::Column::Id),
                        )
                        .on_delete(ForeignKeyAction::NoAction)
                        .on_update(ForeignKeyAction::NoAction),
                )
                .to_owned(),
        )
        .await?;
        let ticket_indexes: [(&str, T, Option<T>, bool); 7] = [
            ("uq_ticket_merchant_id", T::Id, None, true),
            ("uq_ticket_freshdesk_id", T::FreshdeskTicketId, None, true),
            ("idx_merchant_status", T::Status, None, false),
            ("idx_merchant_created", T::CreatedAt, None, false),
            ("idx_ticket_merchant_resolved", T::ResolvedAt, None, false),
            ("idx_ticket_merchant_requester", T::RequesterId, None, false),
            ("idx_ticket_merchant_responder", T::ResponderId, None, false),
        ];
        for (name, column, extra, unique) in ticket_indexes {
            let mut index = Index::create();
            index
                .name(name)
                .table(ticket::Entity)
                .col(T::MerchantId)
                .col(column);
            if let Some(extra) = extra {
                index.col(extra);
            }
            if unique {
                index.unique();
            }
            create_index(m, index).await?;
        }

        use conversation::Column as C;
        m.create_table(
            Table::create()
                .table(conversation::Entity)
                .if_not_exists()
                .col(id_col(C::Id))
                .col(col(C::MerchantId, ColumnType::BigInteger))
                .col(col(C::TicketId, ColumnType::BigInteger))
                .col(col(C::FreshdeskConversationId, t.freshdesk_id()))
                .col(col(C::Body, ColumnType::Text))
                .col(col(C::Incoming, ColumnType::Boolean))
                .col(col(C::Private, ColumnType::Boolean))
                .col(null_col(C::AuthorId, ColumnType::BigInteger))
                .col(col(C::CreatedAt, t.timestamp()))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_conversation_ticket")
                        .from(conversation::Entity, (C::MerchantId, C::TicketId))
                        .to(ticket::Entity, (T::MerchantId, T::Id))
                        .on_delete(ForeignKeyAction::Cascade)
                        .on_update(ForeignKeyAction::NoAction),
                )
                .to_owned(),
        )
        .await?;
        for (name, column, unique) in [
            (
                "uq_conversation_freshdesk_id",
                C::FreshdeskConversationId,
                true,
            ),
            ("idx_conversation_merchant_ticket", C::TicketId, false),
        ] {
            let mut index = Index::create();
            index
                .name(name)
                .table(conversation::Entity)
                .col(C::MerchantId)
                .col(column);
            if unique {
                index.unique();
            }
            create_index(m, index).await?;
        }

        use rating::Column as R;
        m.create_table(
            Table::create()
                .table(rating::Entity)
                .if_not_exists()
                .col(id_col(R::Id))
                .col(col(R::MerchantId, ColumnType::BigInteger))
                .col(col(R::TicketId, ColumnType::BigInteger))
                .col(col(R::FreshdeskRatingId, t.freshdesk_id()))
                .col(col(R::Rating, ColumnType::Integer))
                .col(null_col(R::Feedback, ColumnType::Text))
                .col(col(R::CreatedAt, t.timestamp()))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_rating_ticket")
                        .from(rating::Entity, (R::MerchantId, R::TicketId))
                        .to(ticket::Entity, (T::MerchantId, T::Id))
                        .on_delete(ForeignKeyAction::Cascade)
                        .on_update(ForeignKeyAction::NoAction),
                )
                .to_owned(),
        )
        .await?;
        for (name, column, unique) in [
            ("uq_rating_freshdesk_id", R::FreshdeskRatingId, true),
            ("idx_rating_merchant_created", R::CreatedAt, false),
            ("idx_rating_merchant_ticket", R::TicketId, false),
        ] {
            let mut index = Index::create();
            index
                .name(name)
                .table(rating::Entity)
                .col(R::MerchantId)
                .col(column);
            if unique {
                index.unique();
            }
            create_index(m, index).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            rating::Entity.into_iden(),
            conversation::Entity.into_iden(),
            ticket::Entity.into_iden(),
            contact::Entity.into_iden(),
            agent::Entity.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
