from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_delivery')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StorageGarbage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'storage_garbage', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A stored object that must go but could not be deleted yet (storage was down,'},
            bases=['Model'],
        ),
    ]
