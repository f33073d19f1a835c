from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("timeline", "0011_topic_actor_text_validators")]

    operations = [
        migrations.CreateModel(
            name="SuspendedIndex",
            fields=[
                ("name", models.CharField(max_length=128, primary_key=True, serialize=False)),
                ("definition", models.TextField()),
            ],
        ),
    ]
