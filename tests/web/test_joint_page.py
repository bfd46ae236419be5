"""The candidate page's "Joint analysis" section and the report's joint result, in Vietnamese
(the default) and English, on the demo's two brothers."""

from __future__ import annotations

from tests.conftest import csrf_headers
from tests.services.test_joint_analysis import brothers_case, searched_demo


async def test_joint_section_renders_in_vi_and_en(client_as, sessionmaker, tmp_path) -> None:
    cases = await searched_demo(sessionmaker, tmp_path)
    case = brothers_case(cases)
    c = await client_as("reviewer")
    vi = (await c.get(f"/review/{case.id}")).text
    assert 'id="joint"' in vi and "Phân tích đồng thời" in vi
    assert "Kết quả phân tích đồng thời khác với kết quả so sánh từng cặp." in vi
    assert "đồng hạng tốt nhất" in vi and "≠ từng cặp" in vi
    assert f"#{case.remains_id} →" in vi
    r = await c.post("/lang", data={"locale": "en", "next": "/"}, headers=await csrf_headers(c))
    assert r.status_code == 200
    en = (await c.get(f"/review/{case.id}")).text
    assert "Joint analysis" in en and "The joint answer differs from the pairwise one." in en
    assert "tied for the best" in en and "2 assignments tie for the best" in en
    assert "Engine" in en and "max_assignments=" in en
    rep = (await c.get(f"/review/{case.id}/report?lang=en")).text
    assert 'id="report-joint"' in rep and "2 assignments tie for the best" in rep
    rep_vi = (await c.get(f"/review/{case.id}/report?lang=vi")).text
    assert "Phân tích đồng thời" in rep_vi and "2 cách gán cùng tốt nhất" in rep_vi
    pdf = await c.get(f"/review/{case.id}/report.pdf?lang=vi")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_a_case_without_others_involved_has_no_joint_section(
        client_as, sessionmaker, tmp_path) -> None:
    from dnacase.services import joint_analysis

    cases = await searched_demo(sessionmaker, tmp_path)
    async with sessionmaker() as s:
        alone = [x for x in cases if await joint_analysis.joint_analysis(s, x.id) is None]
    assert alone, "the demo has a remains matching one person only"
    c = await client_as("reviewer")
    page = (await c.get(f"/review/{alone[0].id}")).text
    assert 'id="statistics"' in page and 'id="joint"' not in page
