"""A scripted agent session over MCP, with the official Python SDK as the client.

Usage: python mcp_client.py SERVER_EXE PROJECT_DIR TRANSCRIPT_OUT

It starts `SERVER_EXE exemplar mcp` in PROJECT_DIR (the basic fixture), lists the tools and
resources, reads the mission file and the schema, runs the tests, asks what to work on, patches
the design against the fingerprint it read (S4 has no tests and none are planned: it goes),
runs again and checks that the loss fell, then shows that a patch made against the old
fingerprint is refused. Every step is asserted; the transcript (what was asked, and the gist of
each answer, with run ids and fingerprints redacted) is written for the book.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

EXE, PROJECT, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
lines = []


def say(text):
    lines.append(text)


def text_of(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", None) == "text")


async def call(session, tool, args):
    shown = dict(args, base="<fingerprint design_log read>") if "base" in args else args
    say(f"-> {tool} {json.dumps(shown, sort_keys=True)}")
    result = await session.call_tool(tool, args)
    return result


def document(result):
    assert not result.is_error, text_of(result)
    return json.loads(result.content[0].text)


async def main():
    server = StdioServerParameters(
        command=EXE, args=["exemplar", "mcp"], cwd=PROJECT, env=dict(os.environ)
    )
    async with stdio_client(server) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            assert init.server_info.name == "cargo-exemplar", init.server_info
            assert "next" in init.instructions
            say(f"connected to {init.server_info.name} (protocol {init.protocol_version})")

            tools = sorted(t.name for t in (await session.list_tools()).tools)
            assert tools == sorted([
                "status", "run", "check", "next", "explain", "history", "diff",
                "design_patch", "design_log",
            ]), tools
            say("tools: " + ", ".join(tools))

            resources = sorted(str(r.uri) for r in (await session.list_resources()).resources)
            assert resources == ["exemplar://mission/basic", "exemplar://schema/mission"], resources
            say("resources: " + ", ".join(resources))
            mission = (await session.read_resource("exemplar://mission/basic")).contents[0]
            assert mission.mime_type == "application/yaml" and "id: S4" in mission.text
            schema = json.loads((await session.read_resource("exemplar://schema/mission")).contents[0].text)
            assert schema["$schema"].startswith("https://json-schema.org/")
            say("read the mission file and its JSON Schema")

            first = document(await call(session, "run", {}))
            loss_before = first["missions"][0]["loss"]
            say(f"<- {first['format']}: mission basic loss {loss_before}, "
                f"{first['counts']['passed']} passed, {first['counts']['failed']} failed")

            nxt = document(await call(session, "next", {}))
            d = nxt["directive"]
            say(f"<- {nxt['format']}: work on {d['id']} {d['name']} (loss {d['loss']}, {d['convergence']}): "
                f"{d['invariant']}; failing: " + ", ".join(t["ref"] for t in d["failing_tests"]))

            log = document(await call(session, "design_log", {}))
            base = log["current"]["basic"]
            say(f"<- {log['format']}: {len(log['patches'])} patches; design <fingerprint>")

            patch = {
                "operations": [{"op": "remove", "id": "S4"}],
                "base": base,
                "note": "S4 has no tests and none are planned",
            }
            applied = document(await call(session, "design_patch", patch))
            assert applied["written"] and applied["base"] == base
            say(f"<- {applied['format']}: written, design <fingerprint> -> <fingerprint>")

            second = document(await call(session, "run", {}))
            loss_after = second["missions"][0]["loss"]
            assert loss_after < loss_before, (loss_before, loss_after)
            say(f"<- {second['format']}: mission basic loss {loss_after} (was {loss_before})")

            stale = await call(session, "design_patch", {"operations": [{"op": "retire", "id": "S3"}], "base": base})
            assert stale.is_error and "conflict" in text_of(stale), text_of(stale)
            say("<- error: conflict: the design changed since the fingerprint the patch was made against")

            lineage = document(await call(session, "design_log", {"id": "S4"}))
            assert [p["operations"][0]["op"] for p in lineage["patches"]] == ["remove"]
            say(f"<- {lineage['format']}: remove S4, note: {lineage['patches'][0]['note']}")

    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")


asyncio.run(main())
