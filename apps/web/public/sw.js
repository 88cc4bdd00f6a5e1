/* Tidings' service worker: shows the Web Push notifications the worker sends ({ title, body, url }) and opens the
   portal where they point. It caches nothing: the portal is always fetched fresh, so a logged-out browser keeps no
   copy of anyone's messages. */
self.addEventListener('push', (event) => {
  let message = { title: 'Tidings', body: 'You have a new message.', url: '/' };
  try {
    message = { ...message, ...event.data.json() };
  } catch {
    // not JSON: the defaults say enough
  }
  event.waitUntil(self.registration.showNotification(message.title, { body: message.body, icon: '/favicon.svg', data: { url: message.url } }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url || '/', self.location.origin);
  // Only our own pages: a payload can not send the person elsewhere.
  const url = target.origin === self.location.origin ? target.href : self.location.origin + '/';
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => client.url.startsWith(self.location.origin));
      if (open) return open.navigate(url).then((client) => (client ?? open).focus());
      return self.clients.openWindow(url);
    }),
  );
});
