"""A development's place in the timeline's order (dates.EdtfDate.anchor).

Until windows existed the anchor was always the earliest day, so existing rows take
date_lower; rebuild_projections computes the same from the log.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("timeline", "0008_event_idempotency_key_blank"),
    ]

    operations = [
        migrations.AddField(
            model_name="development",
            name="date_sort",
            field=models.DateField(null=True, verbose_name="day in the timeline's order"),
        ),
        migrations.RunSQL(
            "UPDATE timeline_development SET date_sort = date_lower",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="development",
            name="date_sort",
            field=models.DateField(verbose_name="day in the timeline's order"),
        ),
        migrations.AlterModelOptions(
            name="development",
            options={
                "ordering": ["date_sort", "id"],
                "verbose_name": "development",
                "verbose_name_plural": "developments",
            },
        ),
        migrations.AddIndex(
            model_name="development",
            index=models.Index(fields=["date_sort", "id"], name="development_sort_id"),
        ),
    ]
