"""Real SharePoint Online responses recorded by CLI for Microsoft 365: fixtures/pnp-cli-m365/README.md."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from conformance.wire import (
    CsomError,
    Response,
    child_items,
    encode_response,
    is_null,
    object_identity,
    object_type,
    parse_response,
)

FIXTURES = Path(__file__).parent / "fixtures" / "pnp-cli-m365"
ALL = sorted(path.name for path in FIXTURES.glob("*.json"))


def load(name: str, **options) -> Response:
    return parse_response((FIXTURES / name).read_bytes(), **options)


def csom_error(name: str) -> CsomError:
    response = load(name)
    assert response.results == {}  # SharePoint sends the header alone when an action fails
    with pytest.raises(CsomError) as caught:
        response.raise_for_error()
    assert caught.value.trace_correlation_id == response.header.trace_correlation_id
    return caught.value


def test_there_are_fixtures():
    assert len(ALL) == 11


@pytest.mark.parametrize("name", ALL)
def test_every_fixture_parses_and_survives_re_encoding(name):
    response = load(name)
    assert response.header.schema_version == "15.0.0.0"
    assert response.header.library_version.startswith("16.0.")
    assert parse_response(encode_response(response.header, response.results)) == response


def test_site_unarchive_success():
    response = load("site-unarchive_success.json")
    assert response.header.library_version == "16.0.24817.12008"
    assert response.header.trace_correlation_id == "ab1127a1-5044-8000-b17c-4aafdd265386"
    assert response.header.error_info is None
    assert list(response.results) == [2, 4]
    assert not any(is_null(result) for result in response.results.values())


@pytest.mark.parametrize(
    ("name", "code", "type_name", "message"),
    [
        (
            "site-unarchive_file-not-found.json",
            -2147024894,
            "System.IO.FileNotFoundException",
            "File Not Found.",
        ),
        (
            "tenant-recyclebinitem-remove_argument-exception.json",
            -2147024809,
            "System.ArgumentException",
            "Unable to find the deleted site: https://contoso.sharepoint.com/sites/hr.",  # \u002f decoded
        ),
        (
            "knowledgehub-remove_invalid-client-query.json",
            -1,
            "Microsoft.SharePoint.Client.InvalidClientQueryException",
            "An error has occurred",
        ),
        (
            "site-remove_no-site.json",
            -1,
            "Microsoft.Online.SharePoint.Common.SpoNoSiteException",
            "Cannot get site https://contoso.sharepoint.com/sites/demositeinvalid.",
        ),
    ],
)
def test_error_responses(name, code, type_name, message):
    error = csom_error(name)
    assert (error.error_code, error.error_type_name, error.error_message) == (code, type_name, message)
    assert error.error_value is None


def test_deleted_sites_collection():
    response = load("tenant-recyclebinitem-list_deleted-sites.json")
    assert list(response.results) == [54, 56, 57]
    collection = response.results[57]
    assert (
        object_type(collection)
        == "Microsoft.Online.SharePoint.TenantAdministration.SPODeletedSitePropertiesEnumerable"
    )
    first, second = child_items(collection)
    assert object_type(first) == "Microsoft.Online.SharePoint.TenantAdministration.DeletedSiteProperties"
    assert first["DeletionTime"] == datetime(
        2020, 1, 15, 11, 4, 3, 893000
    )  # "\/Date(2020,0,15,…)\/": zero-based month
    assert first["DeletionTime"].tzinfo is None
    assert second["DeletionTime"] == datetime(2020, 1, 15, 11, 40, 58, 90000)
    assert first["SiteId"] == UUID("7db536da-792b-4be7-b9b6-194778905606")
    assert first["Url"] == "https://contoso.sharepoint.com/sites/ClassicThrowaway"
    assert (first["DaysRemaining"], second["UserCodeMaximumLevel"]) == (92, 300)
    trace, _, rest = object_identity(first).partition("|")
    assert trace == response.header.trace_correlation_id  # SPO identities start with the request's trace id
    assert rest.split("\n") == [
        "908bed80-a04a-4433-b4a0-883d9847d110:c7d25483-6785-4e76-8b22-9c57c0b70134",
        "DeletedSiteProperties",
        "https%3a%2f%2fcontoso.sharepoint.com%2fsites%2fClassicThrowaway",
    ]


def test_folder_property_bag_with_object_identity_query():
    response = load("propertybag-list_folder-identity.json")
    identity_only, folder = response.results[19], response.results[20]
    assert list(identity_only) == ["_ObjectIdentity_"]  # an ObjectIdentityQuery result carries nothing else
    assert object_identity(identity_only) == object_identity(folder)
    assert object_identity(folder).endswith(":folder:df4291de-226f-4c39-bbcc-df21915f5fc1")
    assert object_type(folder) == "SP.Folder"
    properties = folder["Properties"]
    assert object_type(properties) == "SP.PropertyValues"
    # AddExpandoFieldTypeSuffix: the .NET type rides in the key; the codec leaves keys alone
    assert properties["vti_folderitemcount$  Int32"] == 0
    assert properties["vti_docstoreversion$  Int32"] == 256
    assert properties["vti_timelastmodified"] == datetime(2017, 11, 7, 11, 29, 31)
    assert properties["vti_dirlateststamp"] == datetime(2018, 2, 12, 22, 34, 31)
    assert properties["vti_etag"] == '"{DF4291DE-226F-4C39-BBCC-DF21915F5FC1},256"'
    assert properties["vti_parentid"] == "{1C5271C8-DB93-459E-9C18-68FC33EFD856}"  # a string, not a Guid


def test_taxonomy_term_groups():
    response = load("term-group-list_taxonomy.json")
    assert list(response.results) == [4, 5, 7, 8, 10, 11]
    assert object_identity(response.results[5]).endswith("|fec14c62-7c3b-481b-851b-c80d7802b224:ss:")
    assert object_identity(response.results[8]).endswith(":st:YU1+cBy9wUuh/fzgFZGpUQ==")  # \u002f decoded
    groups = child_items(response.results[11])
    assert object_type(response.results[11]) == "SP.Taxonomy.TermGroupCollection"
    assert len(groups) == 9
    people = groups[0]
    # the CLI's own test expects "2018-06-20T07:23:21.033Z" for \/Date(1529479401033)\/
    assert people["CreatedDate"] == datetime(2018, 6, 20, 7, 23, 21, 33000, tzinfo=UTC)
    assert people["CreatedDate"].utcoffset() is not None
    assert people["Id"] == UUID("36a62501-17ea-455a-bed4-eff862242def")
    assert [group["Name"] for group in groups if group["IsSystemGroup"]] == ["System"]


def test_scalar_method_result():
    assert load("cdn-get_scalar-result.json").results == {12: True}


def test_spo_operation():
    response = load("tenant-recyclebinitem-remove_spooperation.json")
    assert not is_null(response.results[16])
    operation = response.results[17]
    assert object_type(operation) == "Microsoft.Online.SharePoint.TenantAdministration.SpoOperation"
    assert (operation["IsComplete"], operation["PollingInterval"]) == (False, 0)
    assert object_identity(operation).split("\n")[1:3] == ["SpoOperation", "RemoveDeletedSite"]


def test_unescaped_guid_is_a_string_for_jsom_but_a_guid_when_lenient():
    name = "site-remove_site-properties-unescaped-guid.json"
    assert load(name).results[5]["GroupId"] == "/Guid(00000000-0000-0000-0000-000000000000)/"
    assert load(name, require_escaped_solidus=False).results[5]["GroupId"] == UUID(int=0)
