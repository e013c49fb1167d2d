import { authState, checkAuth } from './api/auth.js';
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import DashboardView from './views/dashboard/DashboardView.vue';
import InstancesView from './views/instances/InstancesView.vue';

/** Pages outside the first screen load on demand, keeping the first load small. */
const routes: RouteRecordRaw[] = [
  { path: '/', name: 'dashboard', component: DashboardView, meta: { title: 'Dashboard' } },
  { path: '/instances', name: 'instances', component: InstancesView, meta: { title: 'Instances' } },
  { path: '/instances/new', name: 'create', component: () => import('./views/instances/CreateInstanceView.vue'), meta: { title: 'New instance' } },
  {
    path: '/instances/:id',
    component: () => import('./views/instances/InstanceLayout.vue'),
    props: (route) => ({ id: String(route.params.id) }),
    children: [
      { path: '', name: 'instance', component: () => import('./views/instances/InstanceDetailView.vue'), meta: { title: 'Instance' } },
      { path: 'browse/:database?/:table?', name: 'browse', component: () => import('./views/browser/BrowserView.vue'), props: true, meta: { title: 'Browse' } },
      { path: 'query', name: 'query', component: () => import('./views/browser/QueryView.vue'), props: true, meta: { title: 'Query' } },
      { path: 'backups', name: 'instance-backups', component: () => import('./views/backups/BackupsView.vue'), props: true, meta: { title: 'Backups' } },
      { path: 'console', name: 'console', component: () => import('./views/console/ConsoleView.vue'), props: true, meta: { title: 'Console' } },
    ],
  },
  { path: '/backups', name: 'backups', component: () => import('./views/backups/BackupsView.vue'), meta: { title: 'Backups' } },
  { path: '/nodes', name: 'nodes', component: () => import('./views/nodes/NodesView.vue'), meta: { title: 'Nodes' } },
  { path: '/activity', name: 'activity', component: () => import('./views/activity/ActivityView.vue'), meta: { title: 'Activity' } },
  { path: '/settings', name: 'settings', component: () => import('./views/settings/SettingsView.vue'), meta: { title: 'Settings' } },
  { path: '/login', name: 'login', component: () => import('./views/auth/LoginView.vue'), meta: { title: 'Sign in', bare: true } },
  { path: '/:rest(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue'), meta: { title: 'Not found' } },
];

export const router = createRouter({ history: createWebHistory(), routes });

/** With sign-in enabled on the server, every page but the login page needs a signed-in user. */
router.beforeEach(async (to) => {
  const state = authState.value ?? (await checkAuth());
  if (to.name === 'login' || !state.enabled || state.user) return true;
  return { name: 'login', query: { returnTo: to.fullPath } };
});

router.afterEach((to) => {
  const title = typeof to.meta.title === 'string' ? to.meta.title : '';
  document.title = title ? `${title} · Krint` : 'Krint';
});
