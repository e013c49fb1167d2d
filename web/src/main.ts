import urql from '@urql/vue';
import { createApp } from 'vue';
import App from './App.vue';
import { authState } from './api/auth.js';
import { client } from './api/client.js';
import { setUnauthenticatedHandler } from './api/errors.js';
import { router } from './router.js';
import './styles.css';

setUnauthenticatedHandler(() => {
  const current = router.currentRoute.value;
  if (current.name === 'login') return;
  authState.value = authState.value ? { ...authState.value, enabled: true, user: null } : null;
  void router.push({ name: 'login', query: { returnTo: current.fullPath } });
});

createApp(App).use(urql, client).use(router).mount('#app');
