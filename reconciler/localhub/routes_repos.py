"""Identity and repo lifecycle: whoami, create, delete, move, settings, duplicate, info, list, buckets."""

from __future__ import annotations

from typing import Any

from starlette.responses import PlainTextResponse, Response

from reconciler.localhub import card, hardware, lifecycle, routes_git, routes_spaces, space_rules, uploadmode
from reconciler.localhub.apprunner import APPS_PREFIX
from reconciler.localhub.clock import iso
from reconciler.localhub.errors import HubError, bad_request, repo_not_found
from reconciler.localhub.state import REPO_TYPES, Repo, lfs_of, name_problem
from reconciler.localhub.web import PLURAL, Ctx, field, json_response, paginate

Params = dict[str, str]
SPACE_SDKS = card.SPACE_SDKS
DEFAULT_GRADIO = "6.15.1"
SPACE_EXPAND = (
    "author",
    "cardData",
    "createdAt",
    "datasets",
    "disabled",
    "lastModified",
    "likes",
    "models",
    "private",
    "region",
    "resourceGroup",
    "runtime",
    "sdk",
    "sha",
    "siblings",
    "subdomain",
    "tags",
    "trendingScore",
    "usedStorage",
    "xetEnabled",
    "gated",
)
REPO_EXPAND = (
    "author",
    "cardData",
    "createdAt",
    "disabled",
    "downloads",
    "gated",
    "lastModified",
    "likes",
    "private",
    "sha",
    "siblings",
    "tags",
    "trendingScore",
    "usedStorage",
    "xetEnabled",
)


def repo_url(ctx: Ctx, repo_type: str, repo_id: str) -> str:
    return ctx.url(f"/{routes_git.URL_PREFIX[repo_type]}{repo_id}")


# ---------------------------------------------------------------------- identity


def whoami(ctx: Ctx, p: Params) -> Response:
    # The shape of huggingface.js `WhoAmIUser` / `WhoAmIOrg` (hub/src/lib/who-am-i.ts): isPro,
    # canPay and the deprecated plan on the user, canPay and plan on each org.
    user = ctx.user()
    accounts = ctx.core.accounts
    me = accounts.get(user.user)
    orgs = []
    for org in user.orgs:
        account = accounts.get(org)
        orgs.append(
            {
                "type": "org",
                "name": org,
                "fullname": account["fullname"],
                "canPay": account["canPay"],
                "plan": account["plan"],
                "roleInOrg": user.role,
            }
        )
    return json_response(
        {
            "type": "user",
            "id": f"local-{user.user}",
            "name": user.user,
            "fullname": me["fullname"],
            "email": None,
            "isPro": me["plan"] == "pro",
            "canPay": me["canPay"],
            "plan": me["plan"],
            "orgs": orgs,
            "auth": {"type": "access_token", "accessToken": {"displayName": "localhub", "role": user.role}},
        }
    )


def agent_harnesses(ctx: Ctx, p: Params) -> Response:
    return json_response({"standardEnvVars": [], "harnesses": {}})


def auth_check(ctx: Ctx, p: Params) -> Response:
    repo_type, repo_id = PLURAL[p["rtype"]], f"{p['ns']}/{p['name']}"
    if p.get("write"):
        ctx.writable(repo_type, repo_id)
    else:
        ctx.readable(repo_type, repo_id)
    return json_response({})


# ---------------------------------------------------------------------- lifecycle


def _visibility(body: dict[str, Any], repo_type: str, default: str) -> str:
    visibility = body.get("visibility")
    if visibility is None and isinstance(body.get("private"), bool):
        visibility = "private" if body["private"] else "public"
    visibility = visibility or default
    if visibility not in ("public", "private", "protected"):
        raise bad_request(f"Invalid visibility {visibility!r}; one of public, private, protected")
    if visibility == "protected" and repo_type != "space":
        raise bad_request("Only Spaces can be protected")
    return str(visibility)


def _apply_space_options(ctx: Ctx, repo: Repo, body: dict[str, Any]) -> None:
    """hardware, sleepTimeSeconds, secrets, variables, volumes, shared by create and duplicate."""
    if body.get("hardware") is not None:
        repo.hardware = routes_spaces.parse_flavor(body["hardware"])
    repo.sleep = hardware.default_sleep(repo.hardware)
    if body.get("sleepTimeSeconds") is not None:
        repo.sleep = routes_spaces.parse_sleep(body["sleepTimeSeconds"])
    for key, setter in (("secrets", routes_spaces.set_secret), ("variables", routes_spaces.set_variable)):
        items = body.get(key) or []
        if not isinstance(items, list):
            raise bad_request(f'"{key}" must be a list')
        for item in items:
            setter(ctx, repo, item)
    if body.get("volumes") is not None:
        repo.volumes = routes_spaces.mounted(ctx, routes_spaces.parse_volumes(body["volumes"])) or None


def _validate_space_options(ctx: Ctx, body: dict[str, Any]) -> None:
    # Validate everything before anything is created: a rejected request changes nothing.
    probe = Repo(
        type="space",
        id="x/y",
        uid="",
        created=0,
        modified=0,
        visibility="public",
        sdk=None,
        head="",
        commits=[],
        tree={},
        card={},
    )
    _apply_space_options(ctx, probe, body)


def _new_repo_id(ctx: Ctx, namespace: str, name: str, repo_type: str, moving: bool = False) -> str:
    for part in (namespace, name):
        if problem := name_problem(part):
            raise bad_request(problem)
    user = ctx.require_write(namespace)
    repo_id = f"{user.spelling(namespace)}/{name}"
    existing = ctx.store.get(repo_type, repo_id, fold_case=ctx.fold_case)
    if existing is not None:
        # The client reads `url` from the 409 body when exist_ok=True. Ids are case-insensitive
        # (hub-contract §13): the same name in another case is this repo.
        url = repo_url(ctx, repo_type, existing.id)
        if moving:
            # huggingface_hub tests/test_hf_api.py test_move_repo_target_already_exists
            raise HubError(409, f"A {repo_type} repository called {existing.id} already exists", extra={"url": url})
        raise HubError(409, f"You already created this {repo_type} repo", extra={"url": url})
    return repo_id


def create_repo(ctx: Ctx, p: Params) -> Response:
    body = ctx.json()
    user = ctx.user()
    repo_type = body.get("type") or "model"
    if repo_type not in REPO_TYPES:
        raise bad_request(f"Invalid repo type {repo_type!r}")
    name = field(body, "name", str)
    namespace = field(body, "organization", str, required=False) or user.user
    visibility = _visibility(body, repo_type, "public")
    sdk = None
    files = {".gitattributes": uploadmode.DEFAULT_GITATTRIBUTES.encode()}
    if repo_type == "space":
        sdk = body.get("sdk")
        if sdk not in SPACE_SDKS:
            raise bad_request(f"Invalid sdk {sdk!r}; Spaces need one of: {', '.join(SPACE_SDKS)}")
        _validate_space_options(ctx, body)
        space_rules.refuse_space_options(ctx, namespace, sdk, body)
        files["README.md"] = card.initial_space_readme(name, sdk, DEFAULT_GRADIO).encode()
        if sdk == "static":
            files.update(space_rules.static_seed_files(ctx, name))
    repo_id = _new_repo_id(ctx, namespace, name, repo_type)
    repo = ctx.store.create(repo_type, repo_id, visibility, sdk, user.user, files)
    if "README.md" in files:
        repo.card = card.parse_card(files["README.md"].decode())
    if repo_type == "space":
        _apply_space_options(ctx, repo, body)
        lifecycle.start(ctx.core, repo, "build", "created")
    ctx.store.save(repo)
    ctx.store.event(repo_id, "create", f"{repo_type} {visibility}")
    return json_response({"url": repo_url(ctx, repo_type, repo_id), "name": repo_id, "id": repo.uid})


def _named_repo(ctx: Ctx, body: dict[str, Any]) -> Repo:
    repo_type = body.get("type") or "model"
    if repo_type not in REPO_TYPES:
        raise bad_request(f"Invalid repo type {repo_type!r}")
    name = field(body, "name", str)
    namespace = field(body, "organization", str, required=False) or ctx.user().user
    return ctx.writable(repo_type, f"{namespace}/{name}")


def delete_repo(ctx: Ctx, p: Params) -> Response:
    repo = _named_repo(ctx, ctx.json())
    ctx.store.delete(repo)
    if ctx.core.apps is not None:
        ctx.core.apps.forget(repo.id)  # deleting a Space ends its app
    ctx.store.event(repo.id, "delete", repo.type)
    return PlainTextResponse("OK")


def move_repo(ctx: Ctx, p: Params) -> Response:
    body = ctx.json()
    repo_type = body.get("type") or "model"
    if repo_type not in REPO_TYPES:
        raise bad_request(f"Invalid repo type {repo_type!r}")
    source, target = field(body, "fromRepo", str), field(body, "toRepo", str)
    if target.count("/") != 1:
        raise bad_request(f"Invalid toRepo {target!r}: expected 'namespace/name'")
    repo = ctx.writable(repo_type, source)
    namespace, name = target.split("/")
    old_id = repo.id
    if ctx.core.apps is not None:
        ctx.core.apps.forget(old_id)  # relaunched under the new id (its secrets must be written again)
    ctx.store.move(repo, _new_repo_id(ctx, namespace, name, repo_type, moving=True))
    ctx.store.event(old_id, "settings", f"moved to {target}")
    return json_response({"url": repo_url(ctx, repo_type, target)})


def update_settings(ctx: Ctx, p: Params) -> Response:
    repo_type = PLURAL[p["rtype"]]
    repo = ctx.writable(repo_type, f"{p['ns']}/{p['name']}")
    body = ctx.json()
    gated = body.get("gated", repo.gated)
    if gated not in (False, "auto", "manual"):
        raise bad_request('"gated" must be "auto", "manual" or false')
    repo.visibility = _visibility(body, repo_type, repo.visibility)
    repo.gated = gated
    ctx.store.event(repo.id, "settings", f"visibility {repo.visibility}, gated {gated}")
    ctx.store.save(repo)
    return json_response({"private": repo.private, "gated": repo.gated})


def duplicate(ctx: Ctx, p: Params) -> Response:
    repo_type = PLURAL[p["rtype"]]
    source = ctx.readable(repo_type, f"{p['ns']}/{p['name']}")
    body = ctx.json()
    target = field(body, "repository", str)
    if target.count("/") != 1:
        raise bad_request(f"Invalid repository {target!r}: expected 'namespace/name'")
    visibility = _visibility(body, repo_type, source.visibility)
    namespace, name = target.split("/")
    if repo_type == "space":
        _validate_space_options(ctx, body)
        space_rules.refuse_space_options(ctx, namespace, lifecycle.sdk_of(source), body)
    repo_id = _new_repo_id(ctx, namespace, name, repo_type)
    # LFS files stay LFS in the copy, by reference to the same content (no copy of the bytes).
    files = {path: ctx.store.file_source(source.tree, path) for path in source.tree}
    user = ctx.user().user
    repo = ctx.store.create(repo_type, repo_id, visibility, source.sdk, user, files)
    repo.card = dict(source.card)
    if repo_type == "space":
        repo.variables = {key: dict(value) for key, value in source.variables.items()}
        _apply_space_options(ctx, repo, body)
        lifecycle.start(ctx.core, repo, "build", f"duplicated from {source.id}")
    ctx.store.save(repo)
    ctx.store.event(repo_id, "create", f"duplicated from {source.id}")
    return json_response({"url": repo_url(ctx, repo_type, repo_id)})


# ---------------------------------------------------------------------- info and list


def reported_private(ctx: Ctx, repo: Repo) -> bool:
    """`private` as space_info and list_spaces show it. hub-contract §13: `visibility` is not an
    expand key (huggingface_hub 2.4 EXPAND_SPACE_PROPERTY_T) nor a SpaceInfo field, only
    `private` is; a protected Space (files private) reads as private. Switched
    (`visibility_on_read`), `visibility` is sent too and protected reads as not private."""
    if ctx.core.fidelity.visibility_on_read:
        return repo.private
    return repo.visibility != "public"


def _full_info(ctx: Ctx, repo: Repo, sha: str, blobs: bool) -> dict[str, Any]:
    tree = ctx.store.tree_at(repo, sha)
    repo_card = repo.card if sha == repo.head else _card_at(ctx, tree)
    siblings = []
    for path in sorted(tree):
        sibling: dict[str, Any] = {"rfilename": path}
        if blobs:
            sibling.update(size=tree[path][1], blobId=tree[path][0])
            if lfs := lfs_of(tree[path]):
                # huggingface_hub parses siblings' `lfs` as {size, sha256, pointerSize} (hf_api.RepoSibling).
                sibling["lfs"] = {"size": lfs["size"], "sha256": lfs["sha256"], "pointerSize": lfs["pointerSize"]}
        siblings.append(sibling)
    tags = _tags(repo, repo_card)
    info: dict[str, Any] = {
        "_id": repo.uid,
        "id": repo.id,
        "author": repo.namespace,
        "sha": sha,
        "lastModified": iso(repo.modified),
        "createdAt": iso(repo.created),
        "private": reported_private(ctx, repo),
        "gated": repo.gated,
        "disabled": False,
        "likes": 0,
        "trendingScore": 0,
        "tags": tags,
        "cardData": repo_card,
        "siblings": siblings,
        "xetEnabled": False,
        "usedStorage": sum(entry[1] for entry in tree.values()),
    }
    if ctx.core.fidelity.visibility_on_read:
        info["visibility"] = repo.visibility
    if repo.type == "space":
        info.update(
            sdk=lifecycle.sdk_of(repo),
            subdomain=lifecycle.subdomain(repo),
            host=_host(ctx, repo),
            runtime=lifecycle.runtime_json(ctx.core, repo),
            models=[],
            datasets=[],
            region="us",
            resourceGroup=None,
        )
    else:
        info["downloads"] = 0
    return info


def _host(ctx: Ctx, repo: Repo) -> str:
    """Where the Space's app answers. With --run-apps a gradio Space's app is served through the
    local Hub's /--apps/<subdomain> proxy (server.py): gradio_client resolves a Space through
    `space_info(...).host` (gradio_client Client._space_name_to_src), and the host holding the
    subdomain keeps the hot-reload replica route on this origin (hub-contract §10). It ends in
    '/': gradio_client joins its routes onto a Space's host as given (urljoin), which keeps a
    path only with that slash (a real host has no path)."""
    if ctx.core.apps is not None and lifecycle.sdk_of(repo) == "gradio":
        return f"{ctx.base_url}{APPS_PREFIX}{lifecycle.subdomain(repo)}/"
    return ctx.base_url


def _tags(repo: Repo, repo_card: dict[str, Any]) -> list[str]:
    listed = repo_card.get("tags")
    tags = [tag for tag in listed if isinstance(tag, str)] if isinstance(listed, list) else []
    sdk = [lifecycle.sdk_of(repo)] if repo.type == "space" else []
    return [*sdk, *tags, "region:us"]


def _card_at(ctx: Ctx, tree: dict[str, list[Any]]) -> dict[str, Any]:
    if "README.md" not in tree:
        return {}
    try:
        return card.parse_card(ctx.store.read_file(tree, "README.md").decode("utf-8", "replace"))
    except card.CardError:
        return {}


def _shaped(ctx: Ctx, repo: Repo, sha: str) -> dict[str, Any]:
    expand = ctx.params("expand")
    if expand and ctx.flag("blobs"):
        raise bad_request("`expand` cannot be used together with `blobs`")
    info = _full_info(ctx, repo, sha, ctx.flag("blobs"))
    if not expand:
        return info
    allowed = SPACE_EXPAND if repo.type == "space" else REPO_EXPAND
    unknown = [key for key in expand if key not in allowed]
    if unknown:
        raise bad_request(f'"expand" must be one of [{", ".join(allowed)}], got {unknown[0]!r}')
    shaped = {"_id": info["_id"], "id": info["id"], **{key: info.get(key) for key in expand}}
    if "visibility" in info:  # switched on: sent with every answer, as a Hub that has it would
        shaped["visibility"] = info["visibility"]
    return shaped


def repo_info(ctx: Ctx, p: Params) -> Response:
    repo = ctx.readable(PLURAL[p["rtype"]], f"{p['ns']}/{p['name']}")
    sha = routes_git.resolve_revision(repo, p["rev"]) if "rev" in p else repo.head
    return json_response(_shaped(ctx, repo, sha))


def list_repos(ctx: Ctx, p: Params) -> Response:
    user = ctx.token  # anonymous callers see public repos only
    repos = [
        r
        for r in ctx.store.list_repos(PLURAL[p["rtype"]])
        if not r.private or (user is not None and user.member_of(r.namespace))
    ]
    if author := ctx.param("author"):
        repos = [r for r in repos if r.namespace == author or (ctx.fold_case and r.namespace.lower() == author.lower())]
    if search := ctx.param("search"):
        repos = [r for r in repos if search.lower() in r.id.lower()]
    for wanted in ctx.params("filter"):
        repos = [r for r in repos if wanted in _tags(r, r.card)]
    sort = ctx.param("sort")
    if sort in ("lastModified", "createdAt"):
        repos.sort(key=lambda r: r.modified if sort == "lastModified" else r.created, reverse=True)
    elif sort not in (None, "likes", "trendingScore", "downloads"):
        raise bad_request(f"Invalid sort {sort!r}")
    else:
        repos.sort(key=lambda r: r.id)
    return paginate(ctx, repos, 100, lambda page: [_listed(ctx, repo) for repo in page])


def _listed(ctx: Ctx, repo: Repo) -> dict[str, Any]:
    """One listing item.

    With `expand`, shaped as space_info shapes it: hub-contract §3 (list_spaces items are SpaceInfo
    dicts; observed `GET /api/spaces?author=alice&expand=sha&expand=runtime`) and huggingface_hub
    2.4's list_spaces docstring (expand takes the space_info values, `runtime` and `sha` among them;
    "only the properties in the list will be returned"), so the fleet health gate reads every
    Space's sha and runtime stage from one listing. With `full=true`, everything: the docstring's
    `full` fetches "all Spaces data, including the last_modified, siblings and card_data fields".
    With neither, the docstring says those three are absent, and nothing records what else is sent:
    only `_id` and `id` (the one field SpaceInfo requires), the least a caller can rely on; the
    switch `full_listing_without_expand` (fidelity.py) sends everything instead.
    """
    shaped = _shaped(ctx, repo, repo.head)
    if ctx.params("expand") or ctx.flag("full") or ctx.core.fidelity.full_listing_without_expand:
        return shaped
    return {"_id": shaped["_id"], "id": shaped["id"]}


# ---------------------------------------------------------------------- buckets


def create_bucket(ctx: Ctx, p: Params) -> Response:
    namespace = ctx.user().user if p["ns"] == "me" else p["ns"]
    for part in (namespace, p["name"]):
        if problem := name_problem(part):
            raise bad_request(problem)
    ctx.require_write(namespace)
    bucket_id = f"{namespace}/{p['name']}"
    url = ctx.url(f"/buckets/{bucket_id}")
    if bucket_id in ctx.store.buckets:
        return json_response({"error": "You already created this bucket", "url": url}, status=409)
    body = ctx.json()
    ctx.store.put_bucket(
        bucket_id, body.get("visibility") == "private" or body.get("private") is True, ctx.store.clock.now()
    )
    return json_response({"url": url, "name": bucket_id, "id": bucket_id})


def bucket_info(ctx: Ctx, p: Params) -> Response:
    user = ctx.user()
    bucket_id = f"{p['ns']}/{p['name']}"
    bucket = ctx.store.buckets.get(bucket_id)
    if bucket is None or (bucket["private"] and not user.member_of(p["ns"])):
        raise repo_not_found(bucket_id)
    return json_response(bucket)
