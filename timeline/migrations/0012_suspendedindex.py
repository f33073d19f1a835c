from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("timeline", "0008_event_idempotency_key_blank")]

    operations = [
        migrations.CreateModel(
            name="SuspendedIndex",
            fields=[
                ("name", models.CharField(max_length=128, primary_key=True, serialize=False)),
                ("definition", models.TextField()),
            ],
        ),
    ]
