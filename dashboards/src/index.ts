import { agents } from './agents.ts';
import type { DashboardSpec } from './grafana-model.ts';
import { overview } from './overview.ts';
import { pipelineHealth } from './pipeline-health.ts';
import { session } from './session.ts';
import { toolsApprovalsData } from './tools-approvals-data.ts';

/** Every provisioned dashboard; dashboards/grafana/<uid>.json is generated from each. */
export const dashboards: DashboardSpec[] = [overview, agents, toolsApprovalsData, pipelineHealth, session];
