"""A correction that lost a race: the current version beside the editor's values, and a button
that re-applies the editor's change on top of it (without undoing the other editor's)."""

import re
from html import unescape

from django.test import Client

from tests.base import make_editor, record
from timeline import commands
from timeline.models import Development


def form_data(html: str) -> dict[str, str]:
    """The correction form's fields as the page rendered them."""
    data = {}
    for tag in re.findall(r"<input[^>]+>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag or 'type="checkbox"' in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = unescape(value.group(1)) if value else ""
    for name, value in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = unescape(value).strip("\n")
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.findall(r'<option value="([^"]*)"[^>]*selected', body)
        if selected:
            data[name] = selected if name == "topics" else selected[0]
    return data


def test_a_stale_correction_shows_the_three_versions_and_can_be_reapplied(world):
    development = record(title="Réunion à Bruxelles", place="Bruxelles")
    alice = Client()
    alice.force_login(make_editor("alice"))
    url = f"/admin/timeline/development/{development.id}/change/"
    data = form_data(alice.get(url).content.decode())

    # Bob corrects the title while Alice is editing the place.
    commands.development_correct(
        id=development.id,
        expected_version=1,
        changes={"title": "Réunion du Conseil à Bruxelles"},
        note="Titre précisé",
        by="bob",
        via="admin",
    )
    data.update({"place": "Astana", "note": "Lieu corrigé"})
    response = alice.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="conflict"' in html
    table = html[html.index('id="conflict"') : html.index("</table>", html.index('id="conflict"'))]
    assert "Bruxelles" in table and "Astana" in table
    assert "Réunion du Conseil à Bruxelles" not in table  # Alice did not change the title

    reapply = {
        name: unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="(reapply_\w+)" value="([^"]*)"', html
        )
    }
    response = alice.post(url, {**reapply, "_reapply": "1"})
    assert response.status_code == 302
    development = Development.objects.get(pk=development.id)
    assert development.version == 3
    assert development.place == "Astana"
    assert development.title == "Réunion du Conseil à Bruxelles"  # Bob's change is kept
