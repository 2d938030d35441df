//! The DynamoDB lease store: the only code that touches aws-sdk-dynamodb. Each transition of
//! [`super::model`] is one `UpdateItem` that SETs only what that transition changes, with a
//! `ConditionExpression` on `leaseOwner` and `leaseCounter` — no read-modify-write, so a
//! condition can never be checked against a stale copy. `ConditionalCheckFailedException` is
//! `Cas::Conflict` (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html>).

use super::item::{from_item, n, s, to_item, Item};
use super::{Cas, CheckpointUpdate, Created, Fence, Lease, LeaseError, LeaseStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ScalarAttributeType, TableStatus,
};
use aws_sdk_dynamodb::Client;
use std::time::Duration;

/// Folds an SDK error into ours by the service's error code.
fn classify<E, R>(e: &SdkError<E, R>) -> LeaseError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let text = format!(
        "{}",
        aws_smithy_types::error::display::DisplayErrorContext(e)
    );
    match e {
        SdkError::ServiceError(ctx) => match ctx.err().code().unwrap_or_default() {
            "ProvisionedThroughputExceededException"
            | "RequestLimitExceeded"
            | "ThrottlingException" => LeaseError::Throttled(text),
            "ResourceNotFoundException" => LeaseError::NotFound(text),
            "InternalServerError" | "ServiceUnavailable" | "" => LeaseError::Transient(text),
            _ => LeaseError::Backend(text),
        },
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            LeaseError::Transient(text)
        }
        _ => LeaseError::Backend(text),
    }
}

fn is_code<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>, code: &str) -> bool {
    matches!(e, SdkError::ServiceError(ctx) if ctx.err().code() == Some(code))
}

/// `Conflict` for a failed condition, our error for anything else.
fn conflict_or<E, R>(e: SdkError<E, R>) -> Result<Cas, LeaseError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    if is_code(&e, "ConditionalCheckFailedException") {
        Ok(Cas::Conflict)
    } else {
        Err(classify(&e))
    }
}

/// A lease table in DynamoDB.
pub struct DynamoLeaseStore {
    client: Client,
    table: String,
}

/// One conditional `UpdateItem`, assembled from SET/REMOVE clauses.
struct Update {
    key: String,
    set: Vec<String>,
    remove: Vec<String>,
    condition: String,
    values: Item,
    /// Every attribute goes through a `#name` placeholder, so no KCL name can ever collide
    /// with one of DynamoDB's reserved words.
    names: std::collections::HashMap<String, String>,
}

impl Update {
    /// Conditional on `fence`: owner and counter.
    fn fenced(fence: &Fence) -> Self {
        let mut values = Item::new();
        values.insert(":owner".into(), s(&fence.owner));
        values.insert(":counter".into(), n(fence.counter));
        let mut u = Update {
            key: fence.lease_key.clone(),
            set: Vec::new(),
            remove: Vec::new(),
            condition: "#leaseOwner = :owner AND #leaseCounter = :counter".into(),
            values,
            names: std::collections::HashMap::new(),
        };
        u.name("leaseOwner");
        u.name("leaseCounter");
        u
    }

    fn name(&mut self, attr: &str) -> String {
        let placeholder = format!("#{attr}");
        self.names.insert(placeholder.clone(), attr.to_string());
        placeholder
    }

    fn set(mut self, attr: &str, value: AttributeValue) -> Self {
        let placeholder = format!(":{attr}");
        let name = self.name(attr);
        self.set.push(format!("{name} = {placeholder}"));
        self.values.insert(placeholder, value);
        self
    }

    fn remove(mut self, attr: &str) -> Self {
        let name = self.name(attr);
        self.remove.push(name);
        self
    }

    fn expression(&self) -> String {
        let mut e = String::new();
        if !self.set.is_empty() {
            e.push_str("SET ");
            e.push_str(&self.set.join(", "));
        }
        if !self.remove.is_empty() {
            e.push_str(" REMOVE ");
            e.push_str(&self.remove.join(", "));
        }
        e
    }
}

impl DynamoLeaseStore {
    /// The table `table`, with the AWS default configuration (credential chain, region,
    /// `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL`).
    pub async fn from_env(table: &str) -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        DynamoLeaseStore::new(Client::new(&config), table)
    }

    /// Over an existing client.
    pub fn new(client: Client, table: &str) -> Self {
        DynamoLeaseStore {
            client,
            table: table.to_string(),
        }
    }

    async fn run(&self, u: Update) -> Result<Cas, LeaseError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("leaseKey", s(&u.key))
            .update_expression(u.expression())
            .condition_expression(&u.condition)
            .set_expression_attribute_values(Some(u.values))
            .set_expression_attribute_names(Some(u.names))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match out {
            Ok(o) => {
                let item = o.attributes.ok_or_else(|| {
                    LeaseError::Backend("UpdateItem returned no attributes".into())
                })?;
                Ok(Cas::Applied(Box::new(from_item(&item)?)))
            }
            Err(e) => conflict_or(e),
        }
    }

    async fn wait_active(&self) -> Result<(), LeaseError> {
        for _ in 0..120 {
            let d = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(|e| classify(&e))?;
            if d.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Err(LeaseError::Transient(format!(
            "table {} not ACTIVE after 60 s",
            self.table
        )))
    }
}

fn build_err(e: impl std::fmt::Display) -> LeaseError {
    LeaseError::Backend(format!("building a DynamoDB request: {e}"))
}

#[async_trait]
impl LeaseStore for DynamoLeaseStore {
    async fn ensure_table(&self) -> Result<(), LeaseError> {
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("leaseKey")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(build_err)?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("leaseKey")
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(build_err)?,
            )
            .send()
            .await;
        match created {
            Ok(_) => {}
            // Another worker created it first: fine, as long as it becomes ACTIVE.
            Err(e) if is_code(&e, "ResourceInUseException") => {}
            Err(e) => return Err(classify(&e)),
        }
        self.wait_active().await
    }

    async fn list(&self) -> Result<Vec<Lease>, LeaseError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| classify(&e))?;
            for item in page.items() {
                out.push(from_item(item)?);
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        out.sort_by(|a, b| a.lease_key.cmp(&b.lease_key));
        Ok(out)
    }

    async fn get(&self, lease_key: &str) -> Result<Option<Lease>, LeaseError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("leaseKey", s(lease_key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        out.item().map(from_item).transpose()
    }

    async fn create_if_absent(&self, lease: &Lease) -> Result<Created, LeaseError> {
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(lease)))
            .condition_expression("attribute_not_exists(leaseKey)")
            .send()
            .await;
        match out {
            Ok(_) => Ok(Created::Created),
            Err(e) if is_code(&e, "ConditionalCheckFailedException") => Ok(Created::AlreadyExists),
            Err(e) => Err(classify(&e)),
        }
    }

    async fn take(
        &self,
        lease_key: &str,
        expected_owner: Option<&str>,
        expected_counter: u64,
        new_owner: &str,
    ) -> Result<Cas, LeaseError> {
        let fence = Fence {
            lease_key: lease_key.to_string(),
            owner: expected_owner.unwrap_or_default().to_string(),
            counter: expected_counter,
        };
        let switched = u64::from(expected_owner != Some(new_owner));
        let mut u = Update::fenced(&fence)
            .set("leaseOwner", s(new_owner))
            .set("leaseCounter", n(expected_counter + 1));
        if expected_owner.is_none() {
            u.values.remove(":owner");
            u.condition =
                "attribute_not_exists(#leaseOwner) AND #leaseCounter = :counter".to_string();
        }
        u.values.insert(":zero".into(), n(0));
        u.values.insert(":switched".into(), n(switched));
        let switches = u.name("ownerSwitchesSinceCheckpoint");
        u.set.push(format!(
            "{switches} = if_not_exists({switches}, :zero) + :switched"
        ));
        self.run(u.remove("checkpointOwner")).await
    }

    async fn renew(&self, fence: &Fence, throughput_kbps: Option<f64>) -> Result<Cas, LeaseError> {
        let mut u = Update::fenced(fence).set("leaseCounter", n(fence.counter + 1));
        if let Some(t) = throughput_kbps {
            u = u.set("throughputKBps", n(t));
        }
        self.run(u).await
    }

    async fn checkpoint(
        &self,
        fence: &Fence,
        update: &CheckpointUpdate,
    ) -> Result<Cas, LeaseError> {
        let cp = &update.checkpoint;
        let sub = match cp {
            super::Checkpoint::Sequence {
                sub_sequence_number,
                ..
            } => *sub_sequence_number,
            _ => 0,
        };
        let mut u = Update::fenced(fence)
            .set("checkpoint", s(cp.kcl_text()))
            .set("checkpointSubSequenceNumber", n(sub))
            .set("ownerSwitchesSinceCheckpoint", n(0))
            .remove("pendingCheckpoint")
            .remove("pendingCheckpointSubSequenceNumber")
            .remove("pendingCheckpointTimestamp");
        u = match cp {
            super::Checkpoint::AtTimestamp(ms) => u.set("checkpointTimestamp", n(ms)),
            _ => u.remove("checkpointTimestamp"),
        };
        u = match &update.manifest {
            Some(m) => u.set("checkpointManifest", s(m)),
            None => u.remove("checkpointManifest"),
        };
        if !update.child_shard_ids.is_empty() {
            u = u.set(
                "childShardIds",
                AttributeValue::Ss(update.child_shard_ids.clone()),
            );
        }
        self.run(u).await
    }

    async fn release(&self, fence: &Fence) -> Result<Cas, LeaseError> {
        let u = Update::fenced(fence)
            .set("leaseCounter", n(fence.counter + 1))
            .remove("leaseOwner")
            .remove("checkpointOwner");
        self.run(u).await
    }

    async fn delete(&self, lease_key: &str, expected_counter: u64) -> Result<Cas, LeaseError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("leaseKey", s(lease_key))
            .condition_expression("leaseCounter = :counter")
            .expression_attribute_values(":counter", n(expected_counter))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match out {
            Ok(o) => match o.attributes {
                Some(item) => Ok(Cas::Applied(Box::new(from_item(&item)?))),
                None => Ok(Cas::Conflict),
            },
            Err(e) => conflict_or(e),
        }
    }
}
