// qdn's viewer-request function for CloudFront (runtime cloudfront-js-2.0).
//
// It maps pretty URLs onto the objects that qdn build writes:
//
//   /            -> /index.html
//   /x/          -> /x/index.html
//   /track/TOKEN -> 301 /track/TOKEN/   (query string kept)
//   /book/SLUG   -> 301 /book/SLUG/     (query string kept)
//   /.qdn/...    -> 404                 (qdn's state in the bucket)
//
// and leaves every other URI as it is. A redirect happens only when the
// last segment is spelled in the alphabet of tokens (lowercase letters and
// digits) or of service slugs (the same, with single dashes inside), so the
// Location header never carries anything the viewer could inject.
//
// The file is the single source of the rules: qdn publishes it to
// CloudFront, runs it locally for qdn serve, and its tests run the same
// table of cases here and on CloudFront. Keep it ES 5.1 and under 10 KB.

var PRETTY = /^\/(?:track\/[a-z0-9]+|book\/[a-z0-9]+(?:-[a-z0-9]+)*)$/;

// qdn's own state (.qdn/manifest.json lists every object, tracking pages
// included) lives next to the site in the bucket: never serve it, however
// the viewer spells the dot or the slash.
var STATE = /^\/(?:\.|%2e)qdn(?:\/|%2f|$)/i;

// Runs of characters that may not stand in a query string as they are (RFC
// 3986). '%' is allowed because CloudFront hands the function the viewer's
// percent-encoded spelling, which must not be encoded twice. Whole runs are
// encoded at once, so that a character outside the BMP reaches
// encodeURIComponent in one piece in every engine.
var UNSAFE = /[^A-Za-z0-9\-._~!$'()*+,;=:@\/?%]+/g;

function escapeUnsafe(run) {
    try {
        return encodeURIComponent(run);
    } catch (e) {
        // A lone surrogate cannot be encoded; U+FFFD stands in for the run.
        return '%EF%BF%BD';
    }
}

// queryString serializes CloudFront's querystring object back into
// "?name=value&..." in the viewer's order, every value of a repeated name
// included. A name without a value is written bare.
function queryString(qs) {
    var parts = [];
    for (var name in qs) {
        var p = qs[name];
        var values = p.multiValue && p.multiValue.length ? p.multiValue : [p];
        var n = name.replace(UNSAFE, escapeUnsafe);
        for (var i = 0; i < values.length; i++) {
            var v = values[i].value;
            parts.push(v === '' || v === undefined ? n : n + '=' + String(v).replace(UNSAFE, escapeUnsafe));
        }
    }
    return parts.length ? '?' + parts.join('&') : '';
}

function handler(event) {
    var request = event.request;
    var uri = request.uri;
    if (STATE.test(uri)) {
        return { statusCode: 404, statusDescription: 'Not Found' };
    }
    if (PRETTY.test(uri)) {
        return {
            statusCode: 301,
            statusDescription: 'Moved Permanently',
            headers: {
                location: { value: uri + '/' + queryString(request.querystring || {}) }
            }
        };
    }
    if (uri.charAt(uri.length - 1) === '/') {
        request.uri = uri + 'index.html';
    }
    return request;
}
