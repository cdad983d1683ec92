"""slack_sdk's own installation-store and OAuth-state tables, on their own metadata.

They are created by our Alembic migrations (not by slack_sdk's create_tables) so every table of the
app is versioned the same way; the store classes then read and write them as usual.
"""
from sqlalchemy import MetaData
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

INSTALLATIONS = "slack_installations"
BOTS = "slack_bots"
OAUTH_STATES = "slack_oauth_states"

metadata = MetaData()
SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS)
SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS)
SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, OAUTH_STATES)
