// qdn's viewer-request function for CloudFront (runtime cloudfront-js-2.0).
//
// Every rule reads the path decoded, as S3 reads it to find a key:
//
//   not a clean path (below)     -> 400
//   a segment .qdn, in any case  -> 404   (qdn's state in the bucket)
//   a spelling other than the
//   canonical one                -> 301 to the canonical one (query kept)
//   /            -> /index.html
//   /x/          -> /x/index.html
//
// and every other URI goes to the origin as it is. The canonical spelling
// of a path is the path decoded, then encoded as encodeURIComponent does
// with the slashes kept; a tracking or booking page's is lowercase with the
// trailing slash and without index.html: /track/TOKEN/, /book/SLUG/, /book/.
// So each object has one cache key, the one qdn sync invalidates, and the
// Location header carries nothing but that spelling and the query.
//
// The file is the single source of the rules: qdn publishes it to
// CloudFront, runs it locally for qdn serve, and its tests run the same
// table of cases here and on CloudFront. Keep it ES 5.1 and under 10 KB.

// qdn's own state (.qdn/manifest.json lists every object, tracking pages
// included) lives next to the site in the bucket: never serve it, however
// the viewer spells it, at any depth.
var STATE = /(?:^|[\/\\])\.qdn(?:[\/\\]|$)/i;

// A decoded path is clean when it starts with a slash and holds no empty
// segment, no dot segment (DOTS), and no control character, backslash or
// '%' (the viewer encoded twice), which UNSAFE_ESCAPE finds in the path
// encoded again. Any of these makes a path that S3, a browser and these
// rules could each read another way.
var DOTS = /\/\.\.?(?:\/|$)/;
var UNSAFE_ESCAPE = /%(?:[01][0-9A-F]|7F|5C|25)/;

// encodeURIComponent encodes the slashes too; the canonical spelling keeps
// them.
var SLASHES = /%2F/g;

// A tracking or booking page in lower case, with or without its slash or
// index.html; $1 is the page without the trailing slash.
var PRETTY = /^(\/(?:track\/[a-z0-9]+|book(?:\/[a-z0-9]+(?:-[a-z0-9]+)*)?))(?:\/(?:index\.html)?)?$/;

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

function answer(code, text) {
    return { statusCode: code, statusDescription: text };
}

function handler(event) {
    var request = event.request;
    var uri = request.uri;
    var path, canonical;
    try {
        path = decodeURIComponent(uri);
        canonical = encodeURIComponent(path).replace(SLASHES, '/');
    } catch (e) {
        // Not percent-encoded UTF-8 (a stray '%', an overlong or truncated
        // sequence, a surrogate): no key has that name.
        return answer(400, 'Bad Request');
    }
    var lower = canonical.toLowerCase();
    // The cheap indexOf tests spare most requests the regular expressions.
    if (lower.indexOf('.qdn') >= 0 && STATE.test(path)) {
        return answer(404, 'Not Found');
    }
    if (path.charAt(0) !== '/' || path.indexOf('//') >= 0 ||
        (path.indexOf('/.') >= 0 && DOTS.test(path)) ||
        (canonical.indexOf('%') >= 0 && UNSAFE_ESCAPE.test(canonical))) {
        return answer(400, 'Bad Request');
    }
    var first = lower.substring(0, 6);
    if ((first === '/track' || first === '/book' || first === '/book/') && PRETTY.test(lower)) {
        canonical = lower.replace(PRETTY, '$1/');
    }
    if (canonical !== uri) {
        return {
            statusCode: 301,
            statusDescription: 'Moved Permanently',
            headers: {
                location: { value: canonical + queryString(request.querystring || {}) }
            }
        };
    }
    if (uri.charAt(uri.length - 1) === '/') {
        request.uri = uri + 'index.html';
    }
    // S3 reads some query parameters (versionId, response-content-type,
    // partNumber) as part of the request. The pages need none, so none
    // reaches the origin, whatever the cache policy forwards.
    request.querystring = {};
    return request;
}
