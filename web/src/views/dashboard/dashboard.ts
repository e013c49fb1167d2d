import { gql } from '@urql/core';

/** GraphQL operations of the dashboard. */
export interface InstanceUsage { instanceId: string; name: string; engine: string; state: string; cpuPercent: number | null; memoryBytes: number | null }
export interface EngineUsage { engine: string; instances: number; running: number; cpuPercent: number; memoryBytes: number }
export interface Dashboard { at: string; totalInstances: number; runningInstances: number; cpuPercent: number; memoryBytes: number; instances: InstanceUsage[]; engines: EngineUsage[] }
export interface ActivityItem { id: number; actor: string; action: string; targetType: string; targetId: string | null; targetName: string | null; outcome: 'SUCCEEDED' | 'FAILED'; detail: string | null; at: string }

const DASHBOARD_FIELDS = 'at totalInstances runningInstances cpuPercent memoryBytes instances { instanceId name engine state cpuPercent memoryBytes } engines { engine instances running cpuPercent memoryBytes }';

export const DASHBOARD_LIVE = gql<{ dashboard: Dashboard }, { intervalMs: number }>`
  subscription DashboardLive($intervalMs: Int) { dashboard(intervalMs: $intervalMs) { ${DASHBOARD_FIELDS} } }
`;
export const DASHBOARD = gql<{ dashboard: Dashboard }>`query Dashboard { dashboard { ${DASHBOARD_FIELDS} } }`;

export const ACTIVITY_FIELDS = 'id actor action targetType targetId targetName outcome detail at';
export const RECENT_ACTIVITY = gql<{ activity: { entries: ActivityItem[] } }>`query RecentActivity { activity(first: 8) { entries { ${ACTIVITY_FIELDS} } } }`;
export const ACTIVITY_LIVE = gql<{ activity: ActivityItem }>`subscription ActivityLive { activity { ${ACTIVITY_FIELDS} } }`;
