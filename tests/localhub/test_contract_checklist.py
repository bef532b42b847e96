"""The contract checklist: every client method hub-contract.md lists, and the tests that call it
through the real ``huggingface_hub`` client against a live local Hub.

``VERIFIED_METHODS`` is the single list the conformance report quotes. The tests below keep it
honest: each name must be a real public method of ``HfApi`` (or a top-level function of
``huggingface_hub``), each referenced test must exist, and its source must actually call the
method. Run with ``-s`` to print the list.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import huggingface_hub
from huggingface_hub import HfApi

HERE = Path(__file__).parent

# method -> tests ("file.py::test_name") that call it through the real client and check the
# contract's answer (values, exception types, status codes).
VERIFIED_METHODS: dict[str, list[str]] = {
    # 1. identity
    "whoami": [
        "test_contract_repos.py::test_whoami_reports_local_user_org_and_token_role",
        "test_contract_errors.py::test_invalid_or_missing_token_is_401",
    ],
    "auth_check": [
        "test_contract_repos.py::test_auth_check_read_and_write",
        "test_contract_errors.py::test_read_token_cannot_write",
    ],
    # 2. repo lifecycle
    "create_repo": [
        "test_contract_repos.py::test_create_repo_with_every_space_option",
        "test_contract_repos.py::test_create_repo_visibility",
        "test_contract_repos.py::test_create_repo_exist_ok_and_409",
        "test_contract_repos.py::test_create_repo_in_org_and_forbidden_namespace",
    ],
    "delete_repo": ["test_contract_repos.py::test_delete_repo_and_missing_ok"],
    "move_repo": ["test_contract_repos.py::test_move_repo_keeps_content"],
    "update_repo_settings": ["test_contract_repos.py::test_update_repo_settings_visibility_and_gating"],
    "duplicate_repo": ["test_contract_repos.py::test_duplicate_repo_copies_files_and_applies_options"],
    # 3. metadata
    "space_info": ["test_contract_repos.py::test_space_info_expand_returns_only_requested_keys"],
    "repo_info": ["test_contract_repos.py::test_repo_info_and_repo_exists"],
    "repo_exists": ["test_contract_repos.py::test_repo_info_and_repo_exists"],
    "list_spaces": ["test_contract_repos.py::test_list_spaces_with_expand_paginates"],
    # 4. runtime
    "get_space_runtime": ["test_contract_spaces.py::test_stage_machine_building_app_starting_running_with_lagging_sha"],
    "request_space_hardware": ["test_contract_spaces.py::test_request_space_hardware_requested_then_current"],
    "set_space_sleep_time": ["test_contract_spaces.py::test_set_space_sleep_time"],
    "pause_space": ["test_contract_spaces.py::test_pause_and_restart"],
    "restart_space": [
        "test_contract_spaces.py::test_pause_and_restart",
        "test_contract_spaces.py::test_restart_uses_cached_image_but_factory_reboot_rebuilds",
    ],
    "enable_space_dev_mode": ["test_contract_spaces.py::test_dev_mode_enable_disable"],
    "disable_space_dev_mode": ["test_contract_spaces.py::test_dev_mode_enable_disable"],
    "list_spaces_hardware": ["test_contract_spaces.py::test_list_spaces_hardware_has_unit_costs"],
    "wait_for_space": ["test_contract_spaces.py::test_wait_for_space_returns_when_build_finishes"],
    # 5. secrets and variables
    "add_space_secret": ["test_contract_spaces.py::test_secrets_are_write_only_and_stored_hashed"],
    "delete_space_secret": ["test_contract_spaces.py::test_secrets_are_write_only_and_stored_hashed"],
    "get_space_secrets": ["test_contract_spaces.py::test_secrets_are_write_only_and_stored_hashed"],
    "add_space_variable": ["test_contract_spaces.py::test_variables_return_the_full_map"],
    "delete_space_variable": ["test_contract_spaces.py::test_variables_return_the_full_map"],
    "get_space_variables": ["test_contract_spaces.py::test_variables_return_the_full_map"],
    # 6. volumes and buckets
    "set_space_volumes": [
        "test_contract_spaces.py::test_set_and_delete_volumes",
        "test_contract_repos.py::test_space_volume_can_mount_model_and_dataset",
    ],
    "delete_space_volumes": ["test_contract_spaces.py::test_set_and_delete_volumes"],
    "create_bucket": ["test_contract_repos.py::test_create_bucket_and_bucket_info"],
    "bucket_info": ["test_contract_repos.py::test_create_bucket_and_bucket_info"],
    # 7. logs
    "fetch_space_logs": [
        "test_contract_spaces.py::test_build_and_run_logs",
        "test_contract_spaces.py::test_build_error_marker",
    ],
    # 8. commits
    "create_commit": [
        "test_contract_git.py::test_create_commit_additions_deletions_and_folders",
        "test_contract_git.py::test_commit_is_folder_flag_and_copy",
        "test_contract_git.py::test_parent_commit_accepted_when_current",
        "test_contract_errors.py::test_stale_parent_commit_is_412_and_changes_nothing",
    ],
    "upload_file": [
        "test_contract_git.py::test_upload_file_and_delete_file",
        "test_contract_git.py::test_hot_reload_created_for_python_only_change",
        "test_contract_git.py::test_preupload_oid_skips_unchanged_files",
    ],
    "upload_folder": ["test_contract_git.py::test_upload_folder_with_delete_patterns"],
    "delete_file": [
        "test_contract_git.py::test_upload_file_and_delete_file",
        "test_contract_errors.py::test_missing_file_raises_remote_entry_not_found",
    ],
    # 9. reading content
    "list_repo_tree": ["test_contract_git.py::test_list_repo_tree_recursive_and_subpaths"],
    "list_repo_files": ["test_contract_git.py::test_list_repo_tree_paginates_with_recursive_kept"],
    "get_paths_info": ["test_contract_git.py::test_get_paths_info"],
    "list_repo_commits": ["test_contract_git.py::test_list_repo_commits_formatted_and_by_sha"],
    "get_hf_file_metadata": ["test_contract_git.py::test_blob_ids_match_git_hash_object"],
    "hf_hub_download": [
        "test_contract_git.py::test_hf_hub_download_branch_and_sha_and_file_exists",
        "test_contract_errors.py::test_bad_revision_raises_revision_not_found",
    ],
    "file_exists": ["test_contract_git.py::test_hf_hub_download_branch_and_sha_and_file_exists"],
    "snapshot_download": ["test_contract_git.py::test_snapshot_download"],
}

# The client methods hub-contract.md names (sections 1 to 10), to be covered one by one.
CONTRACT_METHODS = {
    "whoami", "auth_check", "create_repo", "delete_repo", "move_repo", "update_repo_settings", "duplicate_repo",
    "space_info", "repo_info", "repo_exists", "list_spaces", "get_space_runtime", "request_space_hardware",
    "set_space_sleep_time", "pause_space", "restart_space", "enable_space_dev_mode", "disable_space_dev_mode",
    "list_spaces_hardware", "wait_for_space", "add_space_secret", "delete_space_secret", "get_space_secrets",
    "add_space_variable", "delete_space_variable", "get_space_variables", "set_space_volumes",
    "delete_space_volumes", "create_bucket", "bucket_info", "fetch_space_logs", "create_commit", "upload_file",
    "upload_folder", "delete_file", "list_repo_tree", "list_repo_files", "get_paths_info", "list_repo_commits",
    "hf_hub_download", "file_exists", "snapshot_download",
}  # fmt: skip


def _test_function_source(ref: str) -> str:
    file_name, test_name = ref.split("::")
    tree = ast.parse((HERE / file_name).read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == test_name:
            return ast.get_source_segment((HERE / file_name).read_text(), node) or ""
    raise AssertionError(f"{ref} does not exist")


def test_every_contract_method_is_verified() -> None:
    missing = CONTRACT_METHODS - set(VERIFIED_METHODS)
    assert not missing, f"contract methods without a verifying test: {sorted(missing)}"
    print(f"\nhub-contract methods verified through the real client ({len(VERIFIED_METHODS)}):")
    print(", ".join(sorted(VERIFIED_METHODS)))


def test_verified_names_are_real_client_methods() -> None:
    for name in VERIFIED_METHODS:
        target = getattr(HfApi, name, None) or getattr(huggingface_hub, name, None)
        assert target is not None and callable(target), f"{name} is not a huggingface_hub client method"
        assert not name.startswith("_")
    assert inspect.signature(HfApi.restart_space).parameters.get("factory_reboot") is not None


def test_each_referenced_test_exists_and_calls_the_method() -> None:
    for name, refs in VERIFIED_METHODS.items():
        assert refs, name
        for ref in refs:
            source = _test_function_source(ref)
            assert f"{name}(" in source, f"{ref} never calls {name}()"
            assert "local_hub" in source, f"{ref} does not run against a live local Hub"
