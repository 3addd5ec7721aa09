/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Opnums are those of the Microsoft open specifications: MS-DRSR, MS-EVEN,
 * MS-EVEN6, MS-RRP, MS-RSP, MS-RPRN, MS-PAR, MS-SCMR, MS-TSCH, MS-WMI,
 * MS-SRVS, MS-WKST, MS-LSAD, MS-LSAT, MS-SAMR, MS-CSRA (ISecLogon).
 */
#include <stddef.h>

#include "dcerpc.h"
#include "rpc_catalog.h"

const char *const jg_tactic_names[JG_TAC_MAX] = {
	[JG_TAC_NONE] = "",
#define JG_X_NAME(e, n) [JG_TAC_##e] = n,
	JG_TACTICS(JG_X_NAME)
#undef JG_X_NAME
};

#define F(i, op, fn, tech, tac, bz) { JG_IF_##i, JG_TAC_##tac, bz, op, fn, tech }

const struct jg_rpc_func jg_rpc_funcs[] = {
	/* credential access */
	F(DRSUAPI, 2, "DRSReplicaSync", "T1003.006", CREDENTIAL_ACCESS, 1),
	F(DRSUAPI, 3, "DRSGetNCChanges", "T1003.006", CREDENTIAL_ACCESS, 1),
	F(WINREG, 20, "BaseRegSaveKey", "T1003.002", CREDENTIAL_ACCESS, 0),
	F(WINREG, 31, "BaseRegSaveKeyEx", "T1003.002", CREDENTIAL_ACCESS, 0),
	F(LSARPC, 43, "LsarRetrievePrivateData", "T1003.004", CREDENTIAL_ACCESS, 0),
	F(SPOOLSS, 65, "RpcRemoteFindFirstPrinterChangeNotificationEx", "T1187", CREDENTIAL_ACCESS, 0),
	/* defence evasion */
	F(EVENTLOG, 0, "ElfrClearELFW", "T1070.001", DEFENSE_EVASION, 1),
	F(EVENTLOG, 12, "ElfrClearELFA", "T1070.001", DEFENSE_EVASION, 1),
	F(EVEN6, 6, "EvtRpcClearLog", "T1070.001", DEFENSE_EVASION, 1),
	F(DRSUAPI, 5, "DRSReplicaAdd", "T1207", DEFENSE_EVASION, 0),
	F(WINREG, 22, "BaseRegSetValue", "T1112", DEFENSE_EVASION, 0),
	/* execution */
	F(SVCCTL, 12, "RCreateServiceW", "T1569.002", EXECUTION, 1),
	F(SVCCTL, 24, "RCreateServiceA", "T1569.002", EXECUTION, 1),
	F(SVCCTL, 44, "RCreateServiceWOW64A", "T1569.002", EXECUTION, 1),
	F(SVCCTL, 45, "RCreateServiceWOW64W", "T1569.002", EXECUTION, 1),
	F(SVCCTL, 19, "RStartServiceW", "T1569.002", EXECUTION, 1),
	F(SVCCTL, 31, "RStartServiceA", "T1569.002", EXECUTION, 1),
	F(SVCCTL, 11, "RChangeServiceConfigW", "T1543.003", PERSISTENCE, 0),
	F(SVCCTL, 23, "RChangeServiceConfigA", "T1543.003", PERSISTENCE, 0),
	F(WBEM_SERVICES, 24, "IWbemServices::ExecMethod", "T1047", EXECUTION, 1),
	F(WBEM_SERVICES, 25, "IWbemServices::ExecMethodAsync", "T1047", EXECUTION, 1),
	F(ATSVC, 0, "NetrJobAdd", "T1053.002", EXECUTION, 1),
	F(SASEC, 0, "SASetAccountInformation", "T1053.002", EXECUTION, 0),
	F(TSCH, 1, "SchRpcRegisterTask", "T1053.005", EXECUTION, 1),
	F(TSCH, 12, "SchRpcRun", "T1053.005", EXECUTION, 1),
	F(TSCH, 19, "SchRpcEnableTask", "T1053.005", EXECUTION, 1),
	/* persistence, privilege escalation */
	F(SECLOGON, 0, "SeclCreateProcessWithLogonW", "T1547.004", PERSISTENCE, 1),
	F(SECLOGON, 1, "SeclCreateProcessWithLogonExW", "T1547.004", PERSISTENCE, 1),
	F(SPOOLSS, 46, "RpcAddMonitor", "T1547.010", PERSISTENCE, 1),
	F(SPOOLSS, 14, "RpcAddPrintProcessor", "T1547.012", PERSISTENCE, 1),
	F(SPOOLSS, 9, "RpcAddPrinterDriver", "T1068", PRIVILEGE_ESCALATION, 0),
	F(SPOOLSS, 89, "RpcAddPrinterDriverEx", "T1068", PRIVILEGE_ESCALATION, 0),
	F(PAR, 39, "RpcAsyncAddPrinterDriver", "T1068", PRIVILEGE_ESCALATION, 0),
	/* impact */
	F(WINREG, 24, "BaseInitiateSystemShutdown", "T1529", IMPACT, 1),
	F(WINREG, 30, "BaseInitiateSystemShutdownEx", "T1529", IMPACT, 1),
	F(INITSHUTDOWN, 0, "BaseInitiateShutdown", "T1529", IMPACT, 1),
	F(INITSHUTDOWN, 2, "BaseInitiateShutdownEx", "T1529", IMPACT, 1),
	F(WINSHUTDOWN, 0, "WsdrInitiateShutdown", "T1529", IMPACT, 1),
	F(SAMR, 4, "SamrShutdownSamServer", "T1529", IMPACT, 1),
	/* discovery */
	F(SRVSVC, 26, "NetrServerTransportEnum", "T1016", DISCOVERY, 1),
	F(WKSSVC, 5, "NetrWkstaTransportEnum", "T1016", DISCOVERY, 1),
	F(SRVSVC, 21, "NetrServerGetInfo", "T1018", DISCOVERY, 1),
	F(SRVSVC, 55, "NetrServerAliasEnum", "T1018", DISCOVERY, 1),
	F(WKSSVC, 0, "NetrWkstaGetInfo", "T1018", DISCOVERY, 1),
	F(WINREG, 9, "BaseRegEnumKey", "T1033", DISCOVERY, 0), /* of HKEY_USERS only: who is logged on */
	F(LSARPC, 45, "LsarGetUserName", "T1033", DISCOVERY, 1),
	F(LSARPC, 50, "LsarEnumerateTrustedDomainsEx", "T1033", DISCOVERY, 1),
	F(LSARPC, 23, "LsarGetSystemAccessAccount", "T1033", DISCOVERY, 1),
	F(LSARPC, 53, "LsarQueryDomainInformationPolicy", "T1033", DISCOVERY, 1),
	F(LSARPC, 26, "LsarQueryInfoTrustedDomain", "T1033", DISCOVERY, 1),
	F(SAMR, 11, "SamrEnumerateGroupsInDomain", "T1033", DISCOVERY, 1),
	F(SAMR, 6, "SamrEnumerateDomainsInSamServer", "T1033", DISCOVERY, 1),
	F(SAMR, 8, "SamrQueryInformationDomain", "T1033", DISCOVERY, 1),
	F(SAMR, 46, "SamrQueryInformationDomain2", "T1033", DISCOVERY, 1),
	F(SAMR, 20, "SamrQueryInformationGroup", "T1033", DISCOVERY, 1),
	F(SRVSVC, 8, "NetrConnectionEnum", "T1049", DISCOVERY, 1),
	F(SRVSVC, 12, "NetrSessionEnum", "T1049", DISCOVERY, 1),
	F(LSARPC, 36, "LsarEnumerateAccountRights", "T1069", DISCOVERY, 1),
	F(LSARPC, 35, "LsarEnumerateAccountsWithUserRight", "T1069", DISCOVERY, 1),
	F(LSARPC, 2, "LsarEnumeratePrivileges", "T1069", DISCOVERY, 1),
	F(LSARPC, 18, "LsarEnumeratePrivilegesAccount", "T1069", DISCOVERY, 1),
	F(LSARPC, 31, "LsarLookupPrivilegeValue", "T1069", DISCOVERY, 1),
	F(LSARPC, 32, "LsarLookupPrivilegeName", "T1069", DISCOVERY, 1),
	F(LSARPC, 33, "LsarLookupPrivilegeDisplayName", "T1069", DISCOVERY, 1),
	F(SAMR, 39, "SamrGetGroupsForUser", "T1069", DISCOVERY, 1),
	F(SAMR, 16, "SamrGetAliasMembership", "T1069", DISCOVERY, 1),
	F(SAMR, 33, "SamrGetMembersInAlias", "T1069", DISCOVERY, 1),
	F(SAMR, 25, "SamrGetMembersInGroup", "T1069", DISCOVERY, 1),
	F(LSARPC, 7, "LsarQueryInformationPolicy", "T1082", DISCOVERY, 1),
	F(LSARPC, 46, "LsarQueryInformationPolicy2", "T1082", DISCOVERY, 1),
	F(LSARPC, 39, "LsarQueryTrustedDomainInfo", "T1082", DISCOVERY, 1),
	F(LSARPC, 48, "LsarQueryTrustedDomainInfoByName", "T1082", DISCOVERY, 1),
	F(SAMR, 44, "SamrGetUserDomainPasswordInformation", "T1082", DISCOVERY, 1),
	F(SRVSVC, 9, "NetrFileEnum", "T1083", DISCOVERY, 1),
	F(LSARPC, 11, "LsarEnumerateAccounts", "T1087", DISCOVERY, 1),
	F(LSARPC, 14, "LsarLookupNames", "T1087", DISCOVERY, 1),
	F(LSARPC, 58, "LsarLookupNames2", "T1087", DISCOVERY, 1),
	F(LSARPC, 68, "LsarLookupNames3", "T1087", DISCOVERY, 1),
	F(LSARPC, 77, "LsarLookupNames4", "T1087", DISCOVERY, 1),
	F(LSARPC, 15, "LsarLookupSids", "T1087", DISCOVERY, 1),
	F(LSARPC, 57, "LsarLookupSids2", "T1087", DISCOVERY, 1),
	F(LSARPC, 76, "LsarLookupSids3", "T1087", DISCOVERY, 1),
	F(SAMR, 15, "SamrEnumerateAliasesInDomain", "T1087", DISCOVERY, 1),
	F(SAMR, 13, "SamrEnumerateUsersInDomain", "T1087", DISCOVERY, 1),
	F(SAMR, 17, "SamrLookupNamesInDomain", "T1087", DISCOVERY, 1),
	F(SAMR, 18, "SamrLookupIdsInDomain", "T1087", DISCOVERY, 1),
	F(SAMR, 5, "SamrLookupDomainInSamServer", "T1087", DISCOVERY, 1),
	F(SAMR, 40, "SamrQueryDisplayInformation", "T1087", DISCOVERY, 1),
	F(SAMR, 48, "SamrQueryDisplayInformation2", "T1087", DISCOVERY, 1),
	F(SAMR, 51, "SamrQueryDisplayInformation3", "T1087", DISCOVERY, 1),
	F(SAMR, 28, "SamrQueryInformationAlias", "T1087", DISCOVERY, 1),
	F(SAMR, 36, "SamrQueryInformationUser", "T1087", DISCOVERY, 1),
	F(SAMR, 47, "SamrQueryInformationUser2", "T1087", DISCOVERY, 1),
	F(WKSSVC, 2, "NetrWkstaUserEnum", "T1087", DISCOVERY, 1),
	F(SRVSVC, 28, "NetrRemoteTOD", "T1124", DISCOVERY, 1),
	F(SRVSVC, 15, "NetrShareEnum", "T1135", DISCOVERY, 1),
	F(SRVSVC, 16, "NetrShareGetInfo", "T1135", DISCOVERY, 1),
	F(SRVSVC, 36, "NetrShareEnumSticky", "T1135", DISCOVERY, 0),
};

const unsigned int jg_rpc_funcs_n = sizeof(jg_rpc_funcs) / sizeof(jg_rpc_funcs[0]);

const struct jg_rpc_func *
jg_rpc_func_of(unsigned int iface, unsigned int opnum)
{
	for (unsigned int i = 0; i < jg_rpc_funcs_n; i++)
		if (jg_rpc_funcs[i].iface == iface && jg_rpc_funcs[i].opnum == opnum)
			return &jg_rpc_funcs[i];
	return NULL;
}
