// Live reload for qdn serve. The preview adds this script to the pages it
// serves (never to the built site). It follows an event stream that says
// when the page shown here changed, shows build errors over the page while
// the last good build stays visible, and reconnects after the server
// restarts, reloading only if the page changed meanwhile.
(function () {
  'use strict';
  var me = document.currentScript;
  var version = me ? me.getAttribute('data-version') || '' : '';
  var source = null;
  var overlay = null;

  function connect() {
    source = new EventSource('/_qdn/events?path=' + encodeURIComponent(location.pathname) + '&v=' + encodeURIComponent(version));
    source.addEventListener('reload', function () {
      source.close();
      location.reload();
    });
    source.addEventListener('errors', function (e) { show(JSON.parse(e.data)); });
    source.addEventListener('ok', hide);
    source.onerror = function () {
      // The browser retries by itself unless it gave up on the stream.
      if (source.readyState === EventSource.CLOSED) { setTimeout(connect, 1000); }
    };
  }

  function el(tag, style, text) {
    var e = document.createElement(tag);
    // Styles set through the CSSOM are not inline style attributes, so the
    // page's Content-Security-Policy allows them.
    for (var k in style) { e.style[k] = style[k]; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function hide() {
    if (overlay) {
      overlay.remove();
      overlay = null;
    }
  }

  function show(errors) {
    hide();
    overlay = el('section', {
      position: 'fixed', left: '0', right: '0', top: '0', maxHeight: '80vh', overflow: 'auto', zIndex: '2147483647',
      background: '#7f1d1d', color: '#ffffff', padding: '1rem 1.25rem', boxShadow: '0 4px 24px rgba(0,0,0,.4)',
      font: '15px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace'
    });
    overlay.id = 'qdn-overlay';
    overlay.setAttribute('role', 'alert');
    overlay.setAttribute('aria-label', 'Build errors');
    var n = errors.length;
    overlay.appendChild(el('h2', { font: 'bold 17px/1.4 system-ui,sans-serif', margin: '0 0 .5rem', color: '#ffffff' },
      'The site does not build: ' + n + (n === 1 ? ' error' : ' errors') + '. This is the last good build; fix the sources and it updates by itself.'));
    var list = el('ul', { margin: '0', padding: '0 0 0 1.2rem' });
    errors.forEach(function (e) {
      var item = el('li', { margin: '.4rem 0' });
      item.appendChild(el('strong', { color: '#fde68a' }, e.pos ? e.pos + ': ' : ''));
      item.appendChild(document.createTextNode(e.msg));
      if (e.hint) { item.appendChild(el('div', { color: '#fecaca' }, 'hint: ' + e.hint)); }
      list.appendChild(item);
    });
    overlay.appendChild(list);
    var close = el('button', {
      marginTop: '.75rem', font: '600 14px system-ui,sans-serif', background: '#ffffff', color: '#7f1d1d',
      border: '0', borderRadius: '4px', padding: '.35rem .9rem', cursor: 'pointer'
    }, 'Hide');
    close.type = 'button';
    close.addEventListener('click', hide);
    overlay.appendChild(close);
    document.body.appendChild(overlay);
  }

  window.addEventListener('pagehide', function () { if (source) { source.close(); } });
  connect();
})();
