from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from cms.delivery.models import DeliveryState
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

async def _first_counter(apps, editor):
    await editor.client.execute_script("INSERT INTO counter (name, value) VALUES ('changes', 0)")


async def _no_counter(apps, editor):
    await editor.client.execute_script("DELETE FROM counter WHERE name = 'changes'")


class Migration(migrations.Migration):
    dependencies = [('models', '0002_article_search')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Counter',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=50)),
                ('value', fields.BigIntField(default=0)),
            ],
            options={'table': 'counter', 'app': 'models', 'pk_attr': 'name', 'table_description': 'A named counter. `changes` numbers every change of public output. Taking the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeedSync',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('feed_item', fields.OneToOneField('models.FeedItem', source_field='feed_item_id', db_constraint=True, to_field='id', related_name='sync', on_delete=OnDelete.CASCADE)),
                ('seq', fields.BigIntField(db_index=True)),
            ],
            options={'table': 'feed_sync', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The last change number of each feed item (a compacted change log). Delta'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('type', fields.CharField(max_length=50)),
                ('object_id', fields.CharField(max_length=100)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('dispatched_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'event_outbox', 'app': 'models', 'indexes': [Index(fields=['dispatched_at', 'id'])], 'pk_attr': 'id', 'table_description': 'An event ("article.published", …) written with the change it reports,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Webhook',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('url', fields.CharField(max_length=2000)),
                ('events', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('description', fields.CharField(null=True, max_length=500)),
                ('secret', fields.CharField(max_length=100)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='webhooks', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_delivery_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_status', fields.IntField(null=True)),
                ('failure_count', fields.IntField(default=0)),
            ],
            options={'table': 'webhook', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('webhook', fields.ForeignKeyField('models.Webhook', source_field='webhook_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('models.OutboxEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('object_id', fields.CharField(max_length=100)),
                ('state', fields.CharEnumField(default=DeliveryState.PENDING, description='PENDING: PENDING\nDELIVERED: DELIVERED\nFAILED: FAILED', enum_type=DeliveryState, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_status', fields.IntField(null=True)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_delivery', 'app': 'models', 'indexes': [Index(fields=['state', 'next_attempt_at']), Index(fields=['webhook_id', 'object_id', 'id']), Index(fields=['event_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.RunPython(_first_counter, _no_counter),
]
